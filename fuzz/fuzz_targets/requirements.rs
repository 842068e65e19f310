//! Fuzz target: a model's environment files (pip requirements and freeze output, conda and
//! MLflow's python_env.yaml, lock files, MLmodel), read as vigil-requirements reads each, and a
//! file read set against itself.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["requirements.txt", "conda.yaml", "python_env.yaml", "uv.lock", "pylock.toml"] {
        if let Ok((_, pins)) = vigil_requirements::read(name, text) {
            let _ = vigil_requirements::diff(&pins, &pins);
        }
    }
    let _ = vigil_requirements::mlmodel(text);
});
