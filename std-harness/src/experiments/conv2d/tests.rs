use super::*;

#[test]
fn ensemble_averages_probabilities() {
    // one row, two members: the first is sure of class 0, the second
    // leans to class 1; the mean picks class 0
    let mut a = [0.0f32; CLASSES];
    a[0] = 10.0;
    let mut b = [0.0f32; CLASSES];
    b[1] = 1.0;
    let mut y = [0.0f32; CLASSES];
    y[1] = 1.0;
    let e = mean_probabilities(&[&a, &b], &y);
    assert_eq!(argmax_rows(&e.outputs, CLASSES), vec![0]);
    assert!((e.outputs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert_eq!(e.score, 0.0);
    assert!(e.loss > 0.0);
}

#[test]
fn member_flags_reproduce_one_member() {
    assert_eq!(member_flags("--arch fast --members 4"), "--arch fast --members 1");
    assert_eq!(member_flags(""), "--members 1");
}

#[test]
fn settings_are_checked() {
    let bad = Options {
        members: Some(0),
        ..Options::default()
    };
    assert!(resolve(Recipe::Best, bad).is_err());
    let bad = Options {
        rotation: Some(f32::NAN),
        ..Options::default()
    };
    assert!(resolve(Recipe::Best, bad).is_err());
    for scale in [-0.1, 0.6, f32::INFINITY] {
        let bad = Options {
            scale: Some(scale),
            ..Options::default()
        };
        let err = resolve(Recipe::Best, bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("scale") && err.contains(&scale.to_string()), "{err}");
    }
    assert_eq!(
        resolve(Recipe::Report, Options::default()).ok(),
        Some(Resolved {
            arch: Arch::Lenet,
            members: 1,
            rotation: 0.0,
            scale: 0.0
        })
    );
}
