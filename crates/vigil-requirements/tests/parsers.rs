//! The parsers on fixtures shaped as the files teams hand over: a requirements file with
//! comments, options, extras, markers, a local version, a direct reference and a continuation; a
//! `pip freeze` with an editable install; MLflow's `conda.yaml`; and malformed lines, each
//! refused by its number.

use vigil_requirements::{conda, pip, Installer, Pin};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn find<'a>(pins: &'a [Pin], name: &str) -> &'a Pin {
    pins.iter().find(|pin| pin.name == name).unwrap_or_else(|| panic!("{name} in {pins:#?}"))
}

#[test]
fn a_requirements_file_is_read_with_its_extras_markers_local_versions_and_line_numbers() {
    let pins = pip(&fixture("requirements.txt")).unwrap();
    let names: Vec<&str> = pins.iter().map(|pin| pin.name.as_str()).collect();
    assert_eq!(names, ["scikit-learn", "numpy", "pandas", "torch", "typing-extensions", "xgboost", "scikit-image"]);

    let sklearn = find(&pins, "scikit-learn");
    assert_eq!((sklearn.constraint.as_str(), sklearn.version.as_deref(), sklearn.line), (">=1.3, <1.6", None, 5));
    assert_eq!(find(&pins, "numpy").version.as_deref(), Some("1.26.4"));
    let pandas = find(&pins, "pandas");
    assert_eq!(
        (pandas.extras.clone(), pandas.constraint.as_str()),
        (vec!["performance".into(), "parquet".into()], "~=2.1.0")
    );
    let torch = find(&pins, "torch");
    assert_eq!(torch.version.as_deref(), Some("2.1.0+cu118"), "the local version is kept");
    assert_eq!(torch.marker.as_deref(), Some("platform_system == 'Linux'"));
    assert_eq!(find(&pins, "typing-extensions").marker.as_deref(), Some("python_full_version < '3.11'"));
    let xgboost = find(&pins, "xgboost");
    assert_eq!(xgboost.url.as_deref(), Some("https://files.example/xgboost-2.0.3-py3-none-any.whl"));
    let image = find(&pins, "scikit-image");
    assert_eq!((image.version.as_deref(), image.line), (Some("0.22.0"), 11), "a continued line counts from its start");
    assert!(pins.iter().all(|pin| pin.installer == Installer::Pip));
}

#[test]
fn pip_freeze_pins_every_package_and_names_an_editable_install_by_its_egg() {
    let pins = pip(&fixture("freeze.txt")).unwrap();
    assert_eq!(pins.len(), 8);
    assert!(pins.iter().filter(|pin| pin.name != "feature-store").all(|pin| pin.version.is_some()), "{pins:#?}");
    let editable = find(&pins, "feature-store");
    assert_eq!((editable.line, editable.version.clone()), (2, None));
    assert_eq!(find(&pins, "torch").version.as_deref(), Some("2.1.0+cu118"));
}

#[test]
fn a_conda_environment_gives_its_conda_specs_and_its_pip_list() {
    let pins = conda(&fixture("conda.yaml")).unwrap();
    let read: Vec<(&str, Option<&str>, Installer, usize)> =
        pins.iter().map(|p| (p.name.as_str(), p.version.as_deref(), p.installer, p.line)).collect();
    assert_eq!(
        read,
        [
            ("python", None, Installer::Conda, 5),
            ("numpy", Some("1.26.4"), Installer::Conda, 6),
            ("libgcc-ng", Some("13.2.0"), Installer::Conda, 7),
            ("pip", None, Installer::Conda, 8),
            ("mlflow", Some("2.9.2"), Installer::Pip, 10),
            ("scikit-learn", Some("1.3.2"), Installer::Pip, 11),
            ("cloudpickle", Some("3.0.0"), Installer::Pip, 12),
        ]
    );
    assert_eq!(find(&pins, "python").constraint, "=3.11.7", "conda's fuzzy match, any 3.11.7.*");
    assert_eq!(find(&pins, "cloudpickle").marker.as_deref(), Some("python_full_version >= '3.8'"));
}

#[test]
fn a_malformed_line_refuses_the_file_naming_its_line() {
    let refused = pip("numpy==1.26.4\n# fine\nscikit-learn>=>1.3\npandas==2.1.0\n").unwrap_err();
    assert_eq!((refused.line, refused.text.as_str()), (3, "scikit-learn>=>1.3"));
    assert!(!refused.message.is_empty());
    assert!(refused.to_string().starts_with("line 3: "), "{refused}");

    let refused = pip("numpy==1.26.4\n-e\n").unwrap_err();
    assert_eq!(refused.line, 2);

    let refused = conda("dependencies:\n- python=3.11\n- numpy=\n").unwrap_err();
    assert_eq!((refused.line, refused.text.as_str()), (3, "numpy="));
    let refused = conda("dependencies:\n  - python=3.11\n - [unclosed\n").unwrap_err();
    assert!(refused.message.starts_with("not YAML"), "{refused}");
    let refused = conda("dependencies: numpy\n").unwrap_err();
    assert!(refused.message.contains("not a list"), "{refused}");
}
