import CLMDB
import Foundation

/// The LMDB layout of crnn.pytorch and deep-text-recognition-benchmark, read through liblmdb:
/// `num-samples` (ASCII decimal), then `image-%09d` (the encoded image) and `label-%09d` (UTF-8)
/// for 1…num-samples. Opened read-only without a lock file, so a dataset on read-only storage works.
enum LMDBReader {
    /// More samples than this in `num-samples` is a damaged or hostile database, not a dataset.
    static let maximumSamples = 100_000_000

    static func read(environment path: String, _ body: (LabelledImage) throws -> Void) throws {
        let file = path + "/data.mdb"
        func check(_ code: Int32, _ what: String) throws {
            guard code == 0 else {
                throw ImportError(file, "\(what): \(String(cString: mdb_strerror(code))) (not an LMDB database, or a damaged one)")
            }
        }
        // liblmdb maps the file: pages its meta page promises beyond the end of a truncated file
        // would be a bus error, not an error code. Checked before opening.
        try checkSize(file)
        var environment: OpaquePointer?
        try check(mdb_env_create(&environment), "cannot open")
        defer { mdb_env_close(environment) }
        try check(mdb_env_open(environment, path, UInt32(MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS), 0o444), "cannot open")
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(environment, nil, UInt32(MDB_RDONLY), &transaction), "cannot read")
        defer { mdb_txn_abort(transaction) }
        var database: MDB_dbi = 0
        try check(mdb_dbi_open(transaction, nil, 0, &database), "cannot read")

        func get(_ key: String) throws -> [UInt8]? {
            var bytes = Array(key.utf8)
            return try bytes.withUnsafeMutableBytes { keyBytes -> [UInt8]? in
                var k = MDB_val(mv_size: keyBytes.count, mv_data: keyBytes.baseAddress)
                var v = MDB_val()
                let code = mdb_get(transaction, database, &k, &v)
                if code == MDB_NOTFOUND { return nil }
                try check(code, "cannot read \(key)")
                return v.mv_size == 0 ? [] : Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            }
        }
        guard let countBytes = try get("num-samples") else {
            throw ImportError(file, "has no num-samples key (not the crnn.pytorch / deep-text-recognition-benchmark layout)")
        }
        guard let text = String(validating: countBytes, as: UTF8.self),
              let count = Int(text.trimmingCharacters(in: .whitespaces)), (0...maximumSamples).contains(count) else {
            throw ImportError(file, "num-samples is not a count of samples")
        }
        for i in 1...max(count, 1) where count > 0 {
            let suffix = String(format: "%09d", i)
            guard let image = try get("image-\(suffix)") else { throw ImportError(file, "image-\(suffix) is missing (num-samples is \(count))") }
            guard let labelBytes = try get("label-\(suffix)") else { throw ImportError(file, "label-\(suffix) is missing (num-samples is \(count))") }
            do {
                try ImportRules.checkImage(image, file, line: nil)
                let label = try ImportRules.label(labelBytes, file, line: nil)
                try body(LabelledImage(bytes: image, label: label, origin: "lmdb image-\(suffix)"))
            } catch let error as ImportError {
                throw ImportError(file, "\(error.reason) (key \(error.reason.contains("label") ? "label" : "image")-\(suffix))")
            }
        }
    }

    /// The file must hold every page its newest meta page counts (liblmdb's layout: two meta pages,
    /// each a 16-byte page header then MDB_meta: magic 0xBEEFC0DE at 16, the free DB's md_pad = the
    /// page size at 40, mm_last_pg at 136, mm_txnid at 144).
    static func checkSize(_ file: String) throws {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ImportError(file, "cannot be read") }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        func meta(at offset: UInt64) -> (pageSize: UInt64, lastPage: UInt64, transaction: UInt64)? {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: 152), data.count == 152 else { return nil }
            let bytes = [UInt8](data)
            func integer(_ at: Int, _ width: Int) -> UInt64 { (0..<width).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
            guard integer(16, 4) == 0xBEEF_C0DE else { return nil }
            return (integer(40, 4), integer(136, 8), integer(144, 8))
        }
        guard let first = meta(at: 0), [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].contains(first.pageSize) else {
            throw ImportError(file, "not an LMDB database (no meta page)")
        }
        let newest = [first, meta(at: first.pageSize)].compactMap { $0 }.max { $0.transaction < $1.transaction } ?? first
        let (needed, overflow) = (newest.lastPage + 1).multipliedReportingOverflow(by: first.pageSize)
        guard !overflow, size >= needed else {
            throw ImportError(file, "is damaged: \(size) bytes, its meta page counts \(newest.lastPage + 1) pages of \(first.pageSize) bytes")
        }
    }
}
