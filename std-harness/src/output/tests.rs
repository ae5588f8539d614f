use super::*;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A training run's `results.json` tagged `tag`.
fn results(tag: &str) -> String {
    format!("{{\"written_by\": \"training\", \"tag\": \"{tag}\"}}")
}

fn artifacts(files: &[(&str, &str)]) -> Artifacts {
    let mut a = Artifacts::new();
    for (name, text) in files {
        a.add(*name, text.as_bytes().to_vec());
    }
    a
}

#[test]
fn commit_writes_every_file_and_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut a = Artifacts::new();
    a.add("a.csv", b"x\n1\n".to_vec());
    a.add_png("p.png", (2, 1), &[0, 0, 0, 255, 255, 255]).unwrap();
    a.commit(&out, Kind::Training).unwrap();
    assert_eq!(names(&out), ["a.csv", "p.png"]);
    assert_eq!(names(dir.path()), ["run"]);
    assert!(std::fs::read(out.join("p.png")).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn a_new_run_replaces_the_whole_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    artifacts(&[("results.json", &results("1")), ("only-old.csv", "old")])
        .commit(&out, Kind::Training)
        .unwrap();
    std::fs::write(out.join(".curves.csv.tmp-99999"), "left by a killed writer").unwrap();
    artifacts(&[("results.json", &results("2")), ("new.csv", "new")])
        .commit(&out, Kind::Training)
        .unwrap();
    assert_eq!(names(&out), ["new.csv", "results.json"]);
    assert_eq!(std::fs::read_to_string(out.join("results.json")).unwrap(), results("2"));
    assert_eq!(names(dir.path()), ["run"]);
}

#[test]
fn a_failed_write_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-folder").join("f.txt");
    let err = write_atomic(&target, b"data").unwrap_err();
    assert!(err.to_string().contains("f.txt: cannot write"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_kill_between_the_two_renames_leaves_the_folder_absent_then_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    artifacts(&[("results.json", &results("1"))])
        .commit(&out, Kind::Training)
        .unwrap();
    // The first rename of a swap by a process that no longer exists (pid
    // above the kernel's maximum), then the kill: the folder is absent.
    std::fs::rename(&out, dir.path().join(".run.old-4294967295-0")).unwrap();
    std::fs::create_dir(dir.path().join(".run.staging-4294967295-1")).unwrap();
    std::fs::write(dir.path().join(".run.staging-4294967295-1/half.csv"), "x").unwrap();
    assert!(!out.exists());
    artifacts(&[("results.json", &results("2"))])
        .commit(&out, Kind::Training)
        .unwrap();
    assert_eq!(
        names(dir.path()),
        ["run"],
        "stale folders of the killed run are removed"
    );
    assert_eq!(names(&out), ["results.json"]);
}

#[test]
fn a_staging_folder_dropped_uncommitted_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let staging = Staging::begin(&dir.path().join("run"), Kind::Training).unwrap();
    std::fs::write(staging.path().join("a"), "x").unwrap();
    drop(staging);
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[test]
fn concurrent_commits_leave_one_complete_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    std::thread::scope(|s| {
        for k in 0..4 {
            let out = &out;
            s.spawn(move || {
                for round in 0..10 {
                    let tag = format!("{k}-{round}");
                    let files: Vec<(String, String)> = ["results.json", "a.csv", "b.csv"]
                        .iter()
                        .map(|&n| {
                            (
                                n.to_owned(),
                                if n == "results.json" {
                                    results(&tag)
                                } else {
                                    tag.clone()
                                },
                            )
                        })
                        .collect();
                    let mut a = Artifacts::new();
                    files.iter().for_each(|(n, t)| a.add(n.clone(), t.clone().into_bytes()));
                    a.commit(out, Kind::Training).unwrap();
                }
            });
        }
    });
    assert_eq!(names(&out), ["a.csv", "b.csv", "results.json"]);
    let tags: Vec<String> = names(&out)
        .iter()
        .map(|n| std::fs::read_to_string(out.join(n)).unwrap())
        .map(|t| match serde_json::from_str::<serde_json::Value>(&t) {
            Ok(v) => v["tag"].as_str().unwrap().to_owned(),
            Err(_) => t,
        })
        .collect();
    assert!(tags.iter().all(|t| *t == tags[0]), "one run's set: {tags:?}");
    assert_eq!(names(dir.path()), ["run"]);
}

#[test]
fn targets_that_cannot_be_run_folders_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = check_target(&file, Kind::Training).unwrap_err().to_string();
    assert!(err.contains("exists and is not a folder"), "{err}");
    let err = check_target(&file.join("sub"), Kind::Training).unwrap_err().to_string();
    assert!(err.contains("which is a file, not a folder"), "{err}");
    let other = dir.path().join("docs");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = check_target(&other, Kind::Training).unwrap_err().to_string();
    assert!(err.contains("holds no results.json"), "{err}");
    let err = check_target(Path::new("."), Kind::Training).unwrap_err().to_string();
    assert!(err.contains("name a folder of its own"), "{err}");
    assert!(check_target(&dir.path().join("a/b/c"), Kind::Training).is_ok());
    assert_eq!(names(dir.path()), ["docs", "file"], "a check creates nothing");
}

#[test]
fn staging_paths_map_to_their_final_place() {
    let p = Path::new("rep/.report.staging-12-3/linreg/best");
    assert_eq!(final_path(p), Path::new("rep/report/linreg/best"));
    assert_eq!(final_path(Path::new("a/b")), Path::new("a/b"));
}

#[test]
fn a_wrong_pixel_count_is_an_error() {
    let mut a = Artifacts::new();
    let err = a.add_png("bad.png", (2, 2), &[0; 5]).unwrap_err();
    assert!(err.to_string().starts_with("bad.png: cannot draw"), "{err}");
}

#[test]
fn a_write_removes_the_temporary_files_killed_writers_left() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f.csv");
    // Left by writers that no longer run (pids above the kernel's maximum),
    // in this version's naming and the older one's.
    std::fs::write(dir.path().join(".f.csv.tmp-4294967295-0"), "half").unwrap();
    std::fs::write(dir.path().join(".f.csv.tmp-4294967294"), "half").unwrap();
    // A live writer's (this process's), and another target's, stay.
    let live = format!(".f.csv.tmp-{}-999999", std::process::id());
    std::fs::write(dir.path().join(&live), "being written").unwrap();
    std::fs::write(dir.path().join(".g.csv.tmp-4294967295-0"), "other").unwrap();
    write_atomic(&target, b"whole").unwrap();
    let mut want = [live, ".g.csv.tmp-4294967295-0".to_owned(), "f.csv".to_owned()];
    want.sort();
    assert_eq!(names(dir.path()), want);
    assert_eq!(std::fs::read(&target).unwrap(), b"whole");
}

#[test]
fn a_folder_of_fixed_files_replaces_only_such_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let files = ["model.rs", "weights.safetensors"];
    let out = dir.path().join("model");
    let write = |text: &str| {
        let staging = Staging::begin_files(&out, &files)?;
        artifacts(&[("model.rs", text), ("weights.safetensors", text)]).write_into(staging.path())?;
        staging.commit()
    };
    write("1").unwrap();
    // A previous one, even with a killed writer's temporary file, is replaced whole.
    std::fs::write(out.join(".model.rs.tmp-4294967295-0"), "half").unwrap();
    std::fs::remove_file(out.join("weights.safetensors")).unwrap();
    write("2").unwrap();
    assert_eq!(names(&out), files);
    assert_eq!(std::fs::read_to_string(out.join("weights.safetensors")).unwrap(), "2");
    // A folder with anything else in it is someone else's.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let err = write("3").unwrap_err().to_string();
    assert!(
        err.contains("holds other files than model.rs, weights.safetensors"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(out.join("model.rs")).unwrap(), "2");
    assert_eq!(names(dir.path()), ["model"]);
}

#[test]
fn a_folder_is_replaced_only_by_the_kind_of_command_that_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str, files: &[(&str, &str)]| {
        let path = dir.path().join(name);
        std::fs::create_dir(&path).unwrap();
        for (file, text) in files {
            std::fs::write(path.join(file), text).unwrap();
        }
        path
    };
    let model = ("model.safetensors", "weights");
    let training = folder("train", &[("results.json", &results("1")), model]);
    // Written before results.json named its writer: told by its shape.
    let old_training = folder("old", &[("results.json", r#"{"experiment": "x", "runs": []}"#), model]);
    let search = folder("search", &[("results.json", r#"{"runs": [], "trials": []}"#)]);
    let report = folder("report", &[("results.json", "[]"), ("report.md", "#")]);
    let evaluation = folder("eval", &[("results.json", r#"{"written_by": "evaluate"}"#)]);
    let old_evaluation = folder("old-eval", &[("evaluation.txt", "x"), ("predictions.csv", "x")]);
    let unknown = folder("unknown", &[("results.json", "{}")]);
    for (path, kind) in [
        (&training, Kind::Training),
        (&old_training, Kind::Training),
        (&search, Kind::Search),
        (&report, Kind::Report),
        (&evaluation, Kind::Evaluate),
        (&old_evaluation, Kind::Evaluate),
    ] {
        for other in [Kind::Training, Kind::Search, Kind::Report, Kind::Evaluate] {
            let checked = check_target(path, other);
            assert_eq!(
                checked.is_ok(),
                other == kind,
                "{} by {other:?}: {checked:?}",
                path.display()
            );
        }
    }
    let err = check_target(&training, Kind::Evaluate).unwrap_err().to_string();
    assert!(
        err.contains("train: is a training run's folder, and an evaluation replaces only an evaluation's folder"),
        "{err}"
    );
    let err = check_target(&unknown, Kind::Training).unwrap_err().to_string();
    assert!(err.contains("does not say which command wrote it"), "{err}");
    // Refused, nothing was touched.
    assert_eq!(names(&training), ["model.safetensors", "results.json"]);
    let mut a = Artifacts::new();
    a.add("evaluation.txt", b"new".to_vec());
    assert!(a.commit(&training, Kind::Evaluate).is_err());
    assert_eq!(names(&training), ["model.safetensors", "results.json"]);
}

#[test]
fn an_output_file_is_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "1\n").unwrap();
    let err = |target: &Path| check_file_target(target, &[&input]).unwrap_err().to_string();
    assert!(err(&input).contains("is a file this command reads"), "{}", err(&input));
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    assert!(err(&link).contains("is a file this command reads"), "{}", err(&link));
    assert!(
        err(dir.path()).contains("is a folder, not a regular file"),
        "{}",
        err(dir.path())
    );
    assert!(err(&input.join("x")).contains("which is a file, not a folder"));
    assert!(err(&dir.path().join("no/x.csv")).contains("its folder"));
    if Path::new("/proc/version").is_file() {
        let e = err(Path::new("/proc/version"));
        assert!(
            e.starts_with("/proc/version: cannot be written: its folder /proc accepts no new file"),
            "{e}"
        );
    }
    assert!(check_file_target(&dir.path().join("out.csv"), &[&input]).is_ok());
    assert_eq!(names(dir.path()), ["in.csv", "link.csv"], "a check creates nothing");
}
