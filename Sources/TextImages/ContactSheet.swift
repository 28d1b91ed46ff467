/// Lays `images` (all the same size) out on a grid with `gap` pixels of mid-grey between them:
/// what `crnnctl gen --sheet` writes for a person to look at.
public func contactSheet(_ images: [GreyImage], columns: Int, gap: Int = 2) -> GreyImage {
    guard let first = images.first else { return GreyImage(width: 1, height: 1) }
    let columns = max(1, min(columns, images.count))
    let rows = (images.count + columns - 1) / columns
    var sheet = GreyImage(width: columns * (first.width + gap) + gap, height: rows * (first.height + gap) + gap, value: 128)
    for (i, image) in images.enumerated() {
        let ox = gap + (i % columns) * (first.width + gap), oy = gap + (i / columns) * (first.height + gap)
        for y in 0..<min(image.height, first.height) {
            for x in 0..<min(image.width, first.width) { sheet[ox + x, oy + y] = image[x, y] }
        }
    }
    return sheet
}
