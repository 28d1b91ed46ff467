/// The `optimizer:` and `schedule:` sections. Each optimizer accepts only its own keys, so
/// `momentum` under `adam` is reported instead of silently ignored.
enum OptimizerSection {
    /// `optimizer: adam` (defaults) or `optimizer: {type: sgd, lr: 0.01, momentum: 0.9, ...}`.
    static func parse(_ node: ConfigNode) throws -> RunConfig.Optimizer {
        if !node.isMapping {
            return .defaults(try node.choice(OptimizerKind.self))
        }
        var section = try ConfigMapping(node)
        let kind = try section.optional("type")?.choice(OptimizerKind.self) ?? .sgd
        var result = RunConfig.Optimizer.defaults(kind)
        result.lr = try section.optional("lr")?.double(in: 0...10, lowerOpen: true) ?? result.lr
        result.weightDecay = try section.optional("weight_decay")?.double(in: 0...1) ?? result.weightDecay
        switch kind {
        case .sgd:
            result.momentum = try section.optional("momentum")?.double(in: 0...1, upperOpen: true) ?? result.momentum
            for key in ["betas", "eps", "rho"] { try section.reject(key, because: "does not apply to sgd") }
        case .adam:
            if let betas = section.optional("betas") {
                let items = try betas.list()
                guard items.count == 2 else {
                    throw betas.error(.invalidValue, "must be two numbers [beta1, beta2], got \(items.count)")
                }
                result.betas = try items.map { try $0.double(in: 0...1, upperOpen: true) }
            }
            result.eps = try section.optional("eps")?.double(in: 0...1, lowerOpen: true) ?? result.eps
            for key in ["momentum", "rho"] { try section.reject(key, because: "does not apply to adam") }
        case .adadelta:
            result.rho = try section.optional("rho")?.double(in: 0...1, upperOpen: true) ?? result.rho
            result.eps = try section.optional("eps")?.double(in: 0...1, lowerOpen: true) ?? result.eps
            for key in ["momentum", "betas"] { try section.reject(key, because: "does not apply to adadelta") }
        }
        try section.finish()
        return result
    }

    /// `schedule: constant`, `{type: step, every: 30, gamma: 0.1}` or `{type: cosine, final: 0.01}`,
    /// each optionally with `warmup: EPOCHS` (all counts in epochs).
    static func schedule(_ node: ConfigNode) throws -> RunConfig.Schedule {
        if !node.isMapping {
            let kind = try node.choice(RunConfig.Schedule.Kind.self)
            switch kind {
            case .constant: return .constant
            case .cosine: return .init(type: .cosine, final: defaultCosineFinal)
            case .step:
                throw node.error(.invalidValue, "a step schedule needs its numbers: {type: step, every: EPOCHS, gamma: FACTOR}")
            }
        }
        var section = try ConfigMapping(node)
        let kind = try section.optional("type")?.choice(RunConfig.Schedule.Kind.self) ?? .step
        let warmup = try section.optional("warmup")?.double(in: 0...100_000)
        switch kind {
        case .constant:
            for key in ["every", "gamma", "final"] { try section.reject(key, because: "does not apply to a constant schedule") }
            try section.finish()
            return .init(type: .constant, warmup: warmup)
        case .cosine:
            for key in ["every", "gamma"] { try section.reject(key, because: "does not apply to a cosine schedule") }
            let final = try section.optional("final")?.double(in: 0...1) ?? defaultCosineFinal
            try section.finish()
            return .init(type: .cosine, warmup: warmup, final: final)
        case .step:
            try section.reject("final", because: "applies only to a cosine schedule")
            let every = try section.required("every", hint: "epochs between decays").int(in: 1...100_000)
            let gamma = try section.optional("gamma")?.double(in: 0...1, lowerOpen: true) ?? 0.1
            try section.finish()
            return .init(type: .step, every: every, gamma: gamma, warmup: warmup)
        }
    }

    /// A cosine schedule ends at 1 % of the base rate unless told otherwise.
    static let defaultCosineFinal = 0.01
}
