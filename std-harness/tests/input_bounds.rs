//! Memory bounds on input: gzip bombs (small on disk, gigabytes inflated),
//! huge header counts, sparse multi-gigabyte files, and paths that are not
//! files. Each is refused with the cap or the cause named, before the
//! memory it would take is asked for; the bombs are also run through the
//! binary under an address-space cap (`prlimit --as`), where an abort on a
//! failed allocation would show as a signal instead of exit status 1.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use flambeau_harness::data::{self, TableSpec, idx, usps_text};
use flate2::{Compression, write::GzEncoder};

/// Address space the binary gets under `prlimit`: far below what any bomb
/// here would inflate to (1 GiB and more), and above what the real USPS
/// data need.
const AS_CAP: u64 = 512 << 20;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `head` then `mib` MiB of `fill`, as concatenated gzip members (a
/// 1 MiB member repeated), about 1 KB on disk per MiB inflated.
fn bomb(head: &[u8], fill: u8, mib: usize) -> Vec<u8> {
    let member = gzip(&vec![fill; 1 << 20]);
    let mut out = gzip(head);
    for _ in 0..mib {
        out.extend_from_slice(&member);
    }
    out
}

fn images_header(n: u32, side: u32) -> Vec<u8> {
    let mut out = 0x0803u32.to_be_bytes().to_vec();
    for d in [n, side, side] {
        out.extend(d.to_be_bytes());
    }
    out
}

fn labels(n: usize) -> Vec<u8> {
    let mut out = 0x0801u32.to_be_bytes().to_vec();
    out.extend((n as u32).to_be_bytes());
    out.extend((0..n).map(|i| (i % 10) as u8));
    out
}

fn err<T: std::fmt::Debug>(r: Result<T, data::DataError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn an_idx_bomb_is_read_only_as_far_as_its_header_says() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("imgs.gz");
    let bytes = bomb(&images_header(100, 16), 0, 1024);
    assert!(bytes.len() < 2 << 20, "the bomb is small on disk: {}", bytes.len());
    std::fs::write(&path, &bytes).unwrap();
    let e = err(idx::read_images(&path));
    assert!(
        e.contains("more bytes follow 100 images of 16x16 (25600 bytes) than the loader reads"),
        "{e}"
    );
}

#[test]
fn a_huge_image_count_is_refused_on_the_header() {
    let e = err(idx::parse_images(&gzip(&images_header(4_000_000_000, 16)), "huge.gz"));
    assert!(
        e.contains("header says 4000000000 images of 16x16 (1024000000000 values), more than the 67108864"),
        "{e}"
    );
}

#[test]
fn image_and_label_counts_are_compared_before_any_pixel_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (imgs, labs) = (tmp.path().join("i.gz"), tmp.path().join("l.gz"));
    // The images file says 7291 images but holds none: the count is wrong first.
    std::fs::write(&imgs, gzip(&images_header(7291, 16))).unwrap();
    std::fs::write(&labs, gzip(&labels(7290))).unwrap();
    let e = err(idx::read_pair(&imgs, &labs, Some((16, 16)), 10));
    assert!(
        e.contains("holds 7291 images but") && e.contains("holds 7290 labels"),
        "{e}"
    );
}

#[test]
fn text_and_csv_bombs_hit_the_text_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("zip.train.gz");
    std::fs::write(&zip, bomb(b"", b' ', 100)).unwrap();
    let e = err(usps_text::read(&zip));
    assert!(
        e.contains("more than 67108864 bytes, the cap on decompressed text"),
        "{e}"
    );
    let csv = tmp.path().join("t.csv.gz");
    std::fs::write(&csv, bomb(b"a,b\n", b'1', 100)).unwrap();
    let e = err(data::read_table(&csv, &TableSpec::new("b")));
    assert!(e.contains("the cap on decompressed text"), "{e}");
}

#[test]
fn sparse_huge_files_are_refused_on_their_size() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["big.csv", "usps-train-images-idx3-ubyte", "zip.train"] {
        let path = tmp.path().join(name);
        std::fs::File::create(&path).unwrap().set_len(3 << 30).unwrap();
        let e = match name {
            "big.csv" => err(data::read_table(&path, &TableSpec::new("x"))),
            "zip.train" => err(usps_text::read(&path)),
            _ => err(idx::read_images(&path)),
        };
        assert!(
            e.contains("3221225472 bytes, more than the 268435456 bytes the loaders open"),
            "{e}"
        );
    }
}

#[test]
fn folders_fifos_and_files_on_the_way_are_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let usps = tmp.path().join("usps");
    std::fs::create_dir_all(usps.join("usps-train-images-idx3-ubyte.gz")).unwrap();
    std::fs::write(usps.join("usps-train-labels-idx1-ubyte.gz"), gzip(&labels(3))).unwrap();
    let e = err(data::load_usps(&usps));
    assert!(
        e.contains("usps-train-images-idx3-ubyte.gz: is a folder, not a regular file"),
        "{e}"
    );
    let fifo = tmp.path().join("pipe.csv");
    if Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        let e = err(data::read_table(&fifo, &TableSpec::new("x")));
        assert!(
            e.contains("pipe.csv: is a FIFO (named pipe), not a regular file"),
            "{e}"
        );
    }
    let file = tmp.path().join("data-file");
    std::fs::write(&file, "x").unwrap();
    let e = err(data::load_insurance(&data::insurance_path(&file)));
    assert!(
        e.contains("cannot exist,") && e.contains("data-file is a file, not a folder (check --data)"),
        "{e}"
    );
}

/// The binary on bomb data under `prlimit --as`: a clean error (status 1)
/// naming the cap, never an abort. Skipped where `prlimit` is missing.
#[test]
fn bombs_under_an_address_space_cap_end_in_clean_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let usps = tmp.path().join("usps");
    std::fs::create_dir_all(&usps).unwrap();
    std::fs::write(
        usps.join("usps-train-images-idx3-ubyte.gz"),
        bomb(&images_header(7291, 16), 7, 2048),
    )
    .unwrap();
    std::fs::write(usps.join("usps-train-labels-idx1-ubyte.gz"), gzip(&labels(7291))).unwrap();
    let insurance = tmp.path().join("insurance");
    std::fs::create_dir_all(&insurance).unwrap();
    std::fs::write(insurance.join("insurance.csv"), bomb(b"age,charges\n", b'9', 2048)).unwrap();
    let cases: [(&[&str], &str); 2] = [
        (
            &["usps-mlp", "--epochs", "1"],
            "than the loader reads; the file is corrupt",
        ),
        (&["linreg", "--epochs", "1"], "the cap on decompressed text"),
    ];
    for (args, needle) in cases {
        let capped = Command::new("prlimit")
            .arg(format!("--as={AS_CAP}"))
            .arg("true")
            .status();
        let mut cmd = if capped.is_ok_and(|s| s.success()) {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={AS_CAP}")).arg(env!("CARGO_BIN_EXE_flambeau"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_flambeau"))
        };
        let out = cmd
            .args(["--quiet", "--data"])
            .arg(tmp.path())
            .args(args)
            .args(["--out"])
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!Path::new(&tmp.path().join("out")).exists());
    }
}

#[test]
fn dimensions_whose_product_overflows_64_bits_are_refused() {
    // Found by the fuzzer: 3 sizes of about 2^30 each (their product overflowed a u64).
    let mut bytes = 0x0803u32.to_be_bytes().to_vec();
    for d in [0x742d_0a40u32, 0x7474_0a00, 0x0008_0374] {
        bytes.extend(d.to_be_bytes());
    }
    let err = flambeau_harness::data::idx::parse_images(&bytes, "huge")
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than the 67108864 the loader accepts"), "{err}");
}
