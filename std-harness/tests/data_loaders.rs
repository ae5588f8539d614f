//! Loaders on small files written by the tests, every bad input, and the real data.

use std::io::Write;
use std::path::{Path, PathBuf};

use flambeau_harness::data::{
    self, ColumnKind, DataError, TableSpec, idx, load_fashion_mnist, load_insurance, load_usps, parse_table, usps_text,
};
use flate2::{Compression, write::GzEncoder};

fn images_bytes(n: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut out = 0x0803u32.to_be_bytes().to_vec();
    for d in [n, rows, cols] {
        out.extend(d.to_be_bytes());
    }
    out.extend(pixels);
    out
}

fn labels_bytes(labels: &[u8]) -> Vec<u8> {
    let mut out = 0x0801u32.to_be_bytes().to_vec();
    out.extend((labels.len() as u32).to_be_bytes());
    out.extend(labels);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn err_text<T: std::fmt::Debug>(r: Result<T, DataError>) -> String {
    r.unwrap_err().to_string()
}

/// Two 2x3 images with bytes 0..12 and labels 3, 7.
fn tiny_pair(dir: &Path, compress: bool) -> (PathBuf, PathBuf) {
    let pixels: Vec<u8> = (0..12).map(|b| b * 20).collect();
    let (img, lab) = (images_bytes(2, 2, 3, &pixels), labels_bytes(&[3, 7]));
    let (img, lab) = if compress { (gzip(&img), gzip(&lab)) } else { (img, lab) };
    (write(dir, "img", &img), write(dir, "lab", &lab))
}

#[test]
fn idx_plain_and_gzip_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for compress in [false, true] {
        let (img, lab) = tiny_pair(dir.path(), compress);
        let set = idx::read_pair(&img, &lab, Some((2, 3)), 10).unwrap();
        assert_eq!((set.n, set.rows, set.cols, set.dim()), (2, 2, 3, 6));
        assert_eq!(set.labels, vec![3, 7]);
        let expected: Vec<f32> = (0..12).map(|b| (b * 20) as f32 / 255.0).collect();
        assert_eq!(set.features, expected);
        assert_eq!(set.sample(1).unwrap().1, 7);
    }
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.gz", &labels_bytes(&[1, 2]));
    let packed = write(dir.path(), "packed.idx", &gzip(&labels_bytes(&[1, 2])));
    assert_eq!(idx::read_labels(&plain, 10).unwrap(), vec![1, 2]);
    assert_eq!(idx::read_labels(&packed, 10).unwrap(), vec![1, 2]);
}

#[test]
fn idx_wrong_magic() {
    let e = err_text(idx::parse_images(&labels_bytes(&[1]), "f"));
    assert_eq!(e, "f: wrong magic number 0x00000801, expected 0x00000803 (IDX images)");
    let e = err_text(idx::parse_labels(&images_bytes(1, 1, 1, &[0]), "g", 10));
    assert_eq!(e, "g: wrong magic number 0x00000803, expected 0x00000801 (IDX labels)");
}

#[test]
fn idx_truncated_body_and_header() {
    let e = err_text(idx::parse_images(&images_bytes(7291, 16, 16, &[0; 1000]), "u.gz"));
    assert_eq!(
        e,
        "u.gz: truncated: header says 7291 images of 16x16 (1866496 bytes) but only 1000 bytes follow"
    );
    let e = err_text(idx::parse_images(&[0, 0, 8, 3, 0, 0], "h"));
    assert!(
        e.contains("truncated") && e.contains("16 bytes") && e.contains("has 6"),
        "{e}"
    );
    let e = err_text(idx::parse_labels(&[0, 0], "h", 10));
    assert!(e.contains("needs 8 bytes"), "{e}");
}

#[test]
fn idx_trailing_bytes() {
    let e = err_text(idx::parse_images(&images_bytes(1, 2, 2, &[0; 6]), "t"));
    assert_eq!(e, "t: 2 trailing bytes after 1 images of 2x2 (4 bytes)");
    let mut bytes = labels_bytes(&[1, 2]);
    bytes.push(3);
    assert!(err_text(idx::parse_labels(&bytes, "l", 10)).contains("1 trailing bytes"));
}

#[test]
fn idx_gzip_with_trailing_garbage_is_rejected() {
    let mut bytes = gzip(&labels_bytes(&[1]));
    bytes.extend(b"garbage");
    assert!(err_text(idx::parse_labels(&bytes, "g.gz", 10)).starts_with("g.gz: bad gzip"));
}

#[test]
fn idx_wrong_image_size() {
    let dir = tempfile::tempdir().unwrap();
    let (img, lab) = tiny_pair(dir.path(), true);
    let e = err_text(idx::read_pair(&img, &lab, Some((16, 16)), 10));
    assert!(e.ends_with("images are 2x3, expected 16x16"), "{e}");
}

#[test]
fn idx_label_out_of_range() {
    let e = err_text(idx::parse_labels(&labels_bytes(&[0, 9, 12]), "l.gz", 10));
    assert_eq!(e, "l.gz: record 2: label 12 out of range for 10 classes");
}

#[test]
fn idx_zero_dimensions_and_no_records() {
    let e = err_text(idx::parse_images(&images_bytes(5, 0, 16, &[]), "z"));
    assert_eq!(e, "z: zero dimension in header: 5 images of 0x16");
    assert_eq!(
        err_text(idx::parse_images(&images_bytes(0, 4, 4, &[]), "z")),
        "z: no records"
    );
    assert_eq!(
        err_text(idx::parse_labels(&labels_bytes(&[]), "z", 10)),
        "z: no records"
    );
}

#[test]
fn idx_count_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let img = write(dir.path(), "i", &images_bytes(2, 1, 1, &[0, 1]));
    let lab = write(dir.path(), "l", &labels_bytes(&[1]));
    let e = err_text(idx::read_pair(&img, &lab, None, 10));
    assert!(e.contains("holds 2 images") && e.contains("holds 1 labels"), "{e}");
}

fn usps_line(digit: &str, value: &str) -> String {
    let mut line = digit.to_owned();
    for _ in 0..256 {
        line.push(' ');
        line.push_str(value);
    }
    line.push_str(" \n");
    line
}

#[test]
fn usps_text_reads_both_label_forms_and_gzip() {
    let text = format!("{}\n{}", usps_line("6.0000", "-1.0000"), usps_line("3", "1"));
    for bytes in [text.clone().into_bytes(), gzip(text.as_bytes())] {
        let set = usps_text::parse(&bytes, "zip.train").unwrap();
        assert_eq!((set.n, set.rows, set.cols, set.classes), (2, 16, 16, 10));
        assert_eq!(set.labels, vec![6, 3]);
        assert!(set.features[..256].iter().all(|&x| x == 0.0));
        assert!(set.features[256..].iter().all(|&x| x == 1.0));
    }
    let half = usps_text::parse(usps_line("0", "0").as_bytes(), "z").unwrap();
    assert!(half.features.iter().all(|&x| x == 0.5));
}

#[test]
fn usps_text_and_idx_share_a_scale() {
    let text = usps_text::parse(usps_line("1", "1.0").as_bytes(), "t").unwrap();
    let img = idx::parse_images(&images_bytes(1, 16, 16, &[255; 256]), "i").unwrap();
    assert_eq!(text.features, img.pixels);
}

#[test]
fn usps_text_bad_lines_name_the_line() {
    let good = usps_line("1", "0");
    let cases = [
        ("1 0.5 0.5\n".to_owned(), "line 3: 3 fields, expected 257"),
        (
            usps_line("1", "NaN"),
            "line 3: field 2: \"NaN\" is not a finite f32 number",
        ),
        (usps_line("1", "abc"), "line 3: field 2: \"abc\" is not a number"),
        (usps_line("1", "1.5"), "line 3: field 2: value 1.5 outside [-1, 1]"),
        (usps_line("12", "0"), "line 3: label \"12\" is not a digit 0..9"),
        (usps_line("6.5", "0"), "line 3: label \"6.5\" is not a digit 0..9"),
        (usps_line("-1", "0"), "line 3: label \"-1\" is not a digit 0..9"),
    ];
    for (bad, message) in cases {
        let text = format!("{good}\n{bad}");
        let e = err_text(usps_text::parse(text.as_bytes(), "zip.test"));
        assert_eq!(e, format!("zip.test: {message}"));
    }
    assert_eq!(err_text(usps_text::parse(b"\n \n", "e")), "e: no records");
}

#[test]
fn load_usps_falls_back_to_text_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "zip.train.gz", &gzip(usps_line("4", "0").as_bytes()));
    write(dir.path(), "zip.test", usps_line("5", "0").as_bytes());
    let (train, test) = load_usps(dir.path()).unwrap();
    assert_eq!((train.labels, test.labels), (vec![4], vec![5]));
}

#[test]
fn load_usps_checks_16x16() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "usps-train-images-idx3-ubyte",
        &images_bytes(1, 28, 28, &[0; 784]),
    );
    write(
        dir.path(),
        "usps-train-labels-idx1-ubyte.gz",
        &gzip(&labels_bytes(&[1])),
    );
    let e = err_text(load_usps(dir.path()));
    assert!(e.ends_with("images are 28x28, expected 16x16"), "{e}");
}

#[test]
fn missing_files_say_where_to_get_them() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_text(load_usps(&dir.path().join("usps")));
    assert!(e.starts_with("usps-train-images-idx3-ubyte.gz: not found in "), "{e}");
    for part in [
        "zip.train.gz",
        "--data DIR",
        "FLAMBEAU_DATA",
        "Elements of Statistical Learning",
    ] {
        assert!(e.contains(part), "{part} missing in {e}");
    }
    let e = err_text(load_fashion_mnist(dir.path()));
    assert!(e.starts_with("train-images-idx3-ubyte.gz: not found"), "{e}");
    assert!(e.contains("apt-get install dataset-fashion-mnist"), "{e}");
    let e = err_text(load_insurance(&data::insurance_path(dir.path())));
    assert!(e.starts_with("insurance.csv: not found"), "{e}");
    assert!(e.contains("Medical Cost Personal Datasets"), "{e}");
}

#[test]
fn missing_labels_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "usps-train-images-idx3-ubyte.gz",
        &images_bytes(1, 16, 16, &[0; 256]),
    );
    let e = err_text(load_usps(dir.path()));
    assert!(e.starts_with("usps-train-labels-idx1-ubyte.gz: not found"), "{e}");
}

#[test]
fn data_dir_prefers_flag_then_env_then_default() {
    let flag = PathBuf::from("elsewhere");
    assert_eq!(data::data_dir(Some(flag.clone())), flag);
    // SAFETY: no other test reads or writes the environment.
    unsafe { std::env::set_var(data::DATA_ENV, "from-env") };
    assert_eq!(data::data_dir(None), PathBuf::from("from-env"));
    // SAFETY: as above.
    unsafe { std::env::remove_var(data::DATA_ENV) };
    assert_eq!(data::data_dir(None), PathBuf::from(data::DEFAULT_DATA_DIR));
    assert_eq!(data::usps_dir(Path::new("d")), Path::new("d/usps"));
}

const CSV: &str = "age,sex,bmi,children,smoker,region,charges
19,female,27.9,0,yes,southwest,16884.924
18,male,33.77,1,no,southeast,1725.5523
28,male,33,3,no,northwest,4449.462
33,male,22.705,0,no,northeast,21984.47061
";

#[test]
fn csv_encodes_categoricals_in_sorted_order() {
    let t = parse_table(CSV.as_bytes(), "ins.csv", &TableSpec::new("charges")).unwrap();
    let names = [
        "age",
        "sex=male",
        "bmi",
        "children",
        "smoker=yes",
        "region=northeast",
        "region=northwest",
        "region=southeast",
        "region=southwest",
    ];
    assert_eq!(t.names, names);
    assert_eq!((t.n, t.d), (4, 9));
    assert_eq!(t.row(0).unwrap(), [19.0, 0.0, 27.9, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(t.row(2).unwrap(), [28.0, 1.0, 33.0, 3.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let charges = [16884.924_f64, 1725.5523, 4449.462, 21984.47061].map(|v| v as f32);
    assert_eq!(t.target, charges);
}

#[test]
fn csv_spec_overrides_inference_and_encodes_a_categorical_target() {
    let spec = TableSpec::new("smoker").with_kind("children", ColumnKind::Categorical);
    let t = parse_table(CSV.as_bytes(), "c", &spec).unwrap();
    assert!(t.names.contains(&"children=3".to_owned()), "{:?}", t.names);
    assert_eq!(t.target, [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(t.target_levels, ["no", "yes"]);
    let bad = TableSpec::new("charges").with_kind("colour", ColumnKind::Numeric);
    assert!(err_text(parse_table(CSV.as_bytes(), "c", &bad)).contains("no column \"colour\""));
}

#[test]
fn csv_bad_cells_name_row_and_column() {
    let cases = [
        (
            "27.9",
            "NaN",
            "row 1 (line 2), column \"bmi\": \"NaN\" is not a finite f32 number",
        ),
        (
            "27.9",
            "inf",
            "row 1 (line 2), column \"bmi\": \"inf\" is not a finite f32 number",
        ),
        (
            "27.9",
            "1e40",
            "row 1 (line 2), column \"bmi\": \"1e40\" is not a finite f32 number",
        ),
        (
            "33.77",
            "fat",
            "row 2 (line 3), column \"bmi\": \"fat\" is not a number",
        ),
        ("22.705", "", "row 4 (line 5), column \"bmi\": empty cell"),
        ("southwest", "", "row 1 (line 2), column \"region\": empty cell"),
    ];
    for (from, to, message) in cases {
        let text = CSV.replacen(from, to, 1);
        let e = err_text(parse_table(text.as_bytes(), "ins.csv", &TableSpec::new("charges")));
        assert_eq!(e, format!("ins.csv: {message}"));
    }
}

#[test]
fn csv_structural_errors() {
    let spec = TableSpec::new("charges");
    let ragged = CSV.replacen(",southeast,", ",", 1);
    let e = err_text(parse_table(ragged.as_bytes(), "r", &spec));
    assert_eq!(e, "r: row 2 (line 3): 6 cells, expected 7 as in the header");
    let e = err_text(parse_table(CSV.as_bytes(), "m", &TableSpec::new("price")));
    assert!(e.starts_with("m: no column \"price\"; the header has [\"age\""), "{e}");
    assert_eq!(err_text(parse_table(b"", "e", &spec)), "e: empty table: no header");
    assert_eq!(
        err_text(parse_table(b"a,charges\n", "e", &spec)),
        "e: empty table: no rows"
    );
    let e = err_text(parse_table(b"a,a,charges\n1,2,3\n", "d", &spec));
    assert_eq!(e, "d: column \"a\" appears twice in the header");
    let ids: String = (0..300).map(|i| format!("id{i},1\n")).collect();
    let e = err_text(parse_table(format!("id,charges\n{ids}").as_bytes(), "i", &spec));
    assert!(e.contains("more than 256 distinct values"), "{e}");
}

/// The shared data folder beside the project's checkout.
fn shared_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    assert!(
        dir.is_dir(),
        "the real data sets are expected in {} (the shared data folder beside the checkout); \
         this test needs them",
        dir.display()
    );
    dir
}

#[test]
fn real_usps_has_the_canonical_split() {
    let (train, test) = load_usps(&data::usps_dir(&shared_data())).unwrap();
    assert_eq!((train.n, test.n), (7291, 2007));
    assert_eq!((train.rows, train.cols), (16, 16));
    let train_counts = [1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644];
    let test_counts = [359, 264, 198, 166, 200, 160, 170, 147, 166, 177];
    assert_eq!(train.class_counts(), train_counts);
    assert_eq!(test.class_counts(), test_counts);
    assert!(train.features.iter().all(|x| (0.0..=1.0).contains(x)));
}

#[test]
fn real_insurance_table_has_1338_rows() {
    let t = load_insurance(&data::insurance_path(&shared_data())).unwrap();
    assert_eq!((t.n, t.d), (1338, 9));
    assert_eq!(t.target_name, "charges");
    assert!(t.features.iter().chain(&t.target).all(|x| x.is_finite()));
}
