//! Fuzz target: a model's environment files (pip requirements and freeze output, conda and
//! MLflow's python_env.yaml, lock files, MLmodel), read as vigil-requirements reads each, and a
//! file read set against itself. The PEP 508 parser panics on some lines; the reader catches such
//! a panic as the line's error, so here a caught panic is no crash and is printed in one line (a
//! panic that escapes still aborts).
#![no_main]

libfuzzer_sys::fuzz_target!(init: std::panic::set_hook(Box::new(|panic| eprintln!("{panic}"))), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["requirements.txt", "conda.yaml", "python_env.yaml", "uv.lock", "pylock.toml"] {
        if let Ok((_, pins)) = vigil_requirements::read(name, text) {
            let _ = vigil_requirements::diff(&pins, &pins);
        }
    }
    let _ = vigil_requirements::mlmodel(text);
});
