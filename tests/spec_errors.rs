//! Every spec under tests/bad_specs/ is refused with a message that names the file and,
//! where there is one, the line and column. The exact messages are snapshots.

use std::path::Path;

#[test]
fn every_bad_spec_is_refused_with_a_located_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_specs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/bad_specs exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 200, "the corpus shrank to {}", names.len());
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let diagnostics = match strata::spec::parse(&bytes) {
            Ok(spec) => panic!("{name}: accepted a bad spec: {spec:?}"),
            Err(d) => d,
        };
        let rendered = diagnostics.render("strata.yaml", &String::from_utf8_lossy(&bytes));
        assert!(rendered.starts_with("strata.yaml:"), "{name}: {rendered}");
        assert!(
            !rendered.contains("Diagnostic {"),
            "{name}: debug output leaked"
        );
        let whole_file = matches!(name.as_str(), "empty" | "only_comments" | "not_utf8");
        if !whole_file {
            assert!(
                rendered
                    .lines()
                    .next()
                    .unwrap()
                    .split(':')
                    .nth(1)
                    .is_some_and(|l| l.parse::<usize>().is_ok()),
                "{name}: no line number in {rendered}"
            );
        }
        insta::assert_snapshot!(format!("bad_spec_{name}"), rendered);
    }
}

#[test]
fn a_good_spec_parses_with_defaults() {
    let spec = strata::spec::parse(b"# syntax=strata:dev\nversion: 1\nlanguage: go\n").unwrap();
    assert_eq!(spec.path.value, ".");
    assert_eq!(spec.cache_namespace, "default");
    assert_eq!(spec.runtime.value, strata::spec::RuntimeBase::Static);
    assert!(spec.run.user.is_none());
}

#[test]
fn typos_in_nested_keys_get_a_suggestion() {
    let bytes = b"version: 1\nrun:\n  prots: [80]\n";
    let rendered = strata::spec::parse(bytes)
        .unwrap_err()
        .render("strata.yaml", std::str::from_utf8(bytes).unwrap());
    assert!(
        rendered.starts_with("strata.yaml:3:3: error: unknown key `prots` in `run`"),
        "{rendered}"
    );
    assert!(rendered.contains("did you mean `ports`?"), "{rendered}");
}
