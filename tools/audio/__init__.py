"""Audio evidence: ``analyze(path, max_seconds, allowed_root) -> AudioFeatures`` from a bounded window.

Modules, one job each: paths (root fence), decode (bounded window), spectrum (the one STFT),
onsets, tempo, tonal (key), loudness (BS.1770 / EBU 3342), speech, silence, features (assembly),
errors (typed failures), testsignals (synthetic ground truth for tests and benchmarks).
"""
