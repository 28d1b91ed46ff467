import Testing

/// Every end-to-end suite nests here so they run one at a time: each starts a coordinator and
/// workers that would otherwise share the two CI cores with the others' and slow every run's
/// learning below what its assertions expect.
@Suite(.serialized) struct EndToEnd {}
