//! Behaviour of the streamed stacks: bad input, fill values, budgets and bands, thread
//! invariance.

use astro_combine::{
    ArraySource, CombineError, CombineOutput, CombineParams, CombineType, RowSource, StackInput,
    combine, combine_into,
};
use ndarray::{Array2, ArrayViewMut2};

fn images(n: usize, ny: usize, nx: usize) -> Vec<Array2<f32>> {
    (0..n)
        .map(|k| {
            let mut s = 0x2545_f491_4f6c_dd1du64.wrapping_mul(k as u64 + 7) | 1;
            Array2::from_shape_fn((ny, nx), |(y, x)| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let cr = if s.is_multiple_of(97) { 3000.0 } else { 0.0 };
                100.0 + (x + y) as f32 * 0.5 + (s % 1000) as f32 * 0.02 + cr
            })
        })
        .collect()
}

fn weights(n: usize, ny: usize, nx: usize) -> Vec<Array2<f32>> {
    (0..n)
        .map(|k| {
            Array2::from_shape_fn((ny, nx), |(y, x)| {
                if (x + 3 * y + k) % 11 == 0 {
                    0.0
                } else {
                    100.0
                }
            })
        })
        .collect()
}

fn stack<'a>(d: &'a [Array2<f32>], w: &'a [Array2<f32>]) -> Vec<StackInput<'a>> {
    d.iter()
        .zip(w)
        .map(|(d, w)| {
            StackInput::new(ArraySource::new(d.view()))
                .with_weight(ArraySource::new(w.view()))
                .with_noise(100.0, 5.0, 20.0)
        })
        .collect()
}

const ALL: [CombineType; 6] = [
    CombineType::Median,
    CombineType::Mean,
    CombineType::Minmed,
    CombineType::IMedian,
    CombineType::IMean,
    CombineType::IMinmed,
];

#[test]
fn zero_inputs_is_an_error() {
    let r = combine(Vec::new(), &CombineParams::default());
    assert!(matches!(r, Err(CombineError::NoInputs)));
}

#[test]
fn different_shapes_are_an_error() {
    let a = Array2::<f32>::zeros((10, 10));
    let b = Array2::<f32>::zeros((10, 11));
    let inputs = vec![
        StackInput::new(ArraySource::new(a.view())),
        StackInput::new(ArraySource::new(b.view())),
    ];
    let e = combine(inputs, &CombineParams::default()).unwrap_err();
    assert!(
        matches!(
            e,
            CombineError::ShapeMismatch {
                what: "data",
                index: 1,
                ..
            }
        ),
        "{e}"
    );
    // a weight of another shape
    let w = Array2::<f32>::ones((9, 10));
    let inputs = vec![
        StackInput::new(ArraySource::new(a.view())),
        StackInput::new(ArraySource::new(a.view())).with_weight(ArraySource::new(w.view())),
    ];
    let e = combine(inputs, &CombineParams::default()).unwrap_err();
    assert!(e.to_string().contains("weight of input 1"), "{e}");
}

#[test]
fn budget_too_small_for_one_row_is_a_clear_error() {
    let d = images(4, 20, 1000);
    let w = weights(4, 20, 1000);
    let p = CombineParams {
        combine_bufsize: 1000,
        ..Default::default()
    };
    let e = combine(stack(&d, &w), &p).unwrap_err();
    let CombineError::BudgetTooSmall { needed, budget, .. } = e else {
        panic!("{e}")
    };
    assert_eq!(budget, 1000);
    assert!(needed > 1000);
    // exactly the needed budget works
    let p = CombineParams {
        combine_bufsize: needed,
        ..p
    };
    assert!(combine(stack(&d, &w), &p).is_ok());
    // minmed needs its 2·grow rows of look-ahead too
    let p = CombineParams {
        combine_type: CombineType::Minmed,
        combine_bufsize: needed,
        ..p
    };
    assert!(matches!(
        combine(stack(&d, &w), &p),
        Err(CombineError::BudgetTooSmall { rows: 3, .. })
    ));
}

#[test]
fn bad_parameters_are_errors() {
    let d = images(3, 5, 5);
    let w = weights(3, 5, 5);
    let cases = [
        CombineParams {
            combine_nlow: 2,
            combine_nhigh: 1,
            ..Default::default()
        },
        CombineParams {
            combine_maskpt: f64::NAN,
            ..Default::default()
        },
        CombineParams {
            combine_nsigma: (-1.0, 3.0),
            ..Default::default()
        },
    ];
    for p in cases {
        let e = combine(stack(&d, &w), &p).unwrap_err();
        assert!(matches!(e, CombineError::Parameter { .. }), "{e}");
    }
    // minmed without weights
    let inputs = d
        .iter()
        .map(|a| StackInput::new(ArraySource::new(a.view())))
        .collect();
    let p = CombineParams {
        combine_type: CombineType::Minmed,
        ..Default::default()
    };
    assert!(combine(inputs, &p).is_err());
}

/// A column where every input is masked: the fill value (0 by default, or `fillval`) and a
/// zero count; the "i" types take the first non-zero input.
#[test]
fn all_masked_column_is_fill_value_with_zero_count() {
    let d = images(4, 30, 20);
    let mut w = weights(4, 30, 20);
    for wk in &mut w {
        wk.column_mut(7).fill(0.0);
    }
    for ty in ALL {
        for fillval in [0.0f32, f32::NAN, -999.0] {
            let p = CombineParams {
                combine_type: ty,
                fillval,
                ..Default::default()
            };
            let out = combine(stack(&d, &w), &p).unwrap();
            assert!(out.count.column(7).iter().all(|&c| c == 0), "{ty:?}");
            for (y, &v) in out.image.column(7).iter().enumerate() {
                let expected = if matches!(ty, CombineType::IMedian | CombineType::IMean) {
                    d[0][[y, 7]]
                } else {
                    fillval
                };
                assert!(
                    v == expected || (v.is_nan() && expected.is_nan()),
                    "{ty:?} fill {fillval}: row {y} got {v}, expected {expected}"
                );
            }
            // the other columns are real combinations
            assert!(out.count.column(6).iter().all(|&c| c > 0));
        }
    }
}

/// Every band size gives the same result (streaming has no seams, also for minmed's grow).
#[test]
fn result_does_not_depend_on_the_budget() {
    let (ny, nx) = (41, 23);
    let d = images(5, ny, nx);
    let w = weights(5, ny, nx);
    for ty in ALL {
        for grow in [0usize, 1, 2] {
            let base = CombineParams {
                combine_type: ty,
                combine_grow: grow,
                combine_nhigh: usize::from(matches!(ty, CombineType::Median)),
                ..Default::default()
            };
            let reference = combine(stack(&d, &w), &base).unwrap();
            let per_row = 5 * nx * 8 + nx * 8 + nx * 30;
            for rows in [1usize, 2, 3, 5, 8, 40] {
                let p = CombineParams {
                    combine_bufsize: per_row * (rows + 2 * grow + 1),
                    ..base
                };
                let out = combine(stack(&d, &w), &p).unwrap();
                assert_eq!(out, reference, "{ty:?} grow {grow} rows {rows}");
            }
        }
    }
}

/// Counts reads: every input row is read exactly once, whatever the band size.
struct Counting<'a> {
    inner: ArraySource<'a>,
    reads: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl RowSource for Counting<'_> {
    fn shape(&self) -> (usize, usize) {
        self.inner.shape()
    }
    fn read_rows(
        &mut self,
        y0: usize,
        y1: usize,
        out: ArrayViewMut2<'_, f32>,
    ) -> astro_combine::Result<()> {
        self.reads.lock().unwrap().extend(y0..y1);
        self.inner.read_rows(y0, y1, out)
    }
}

#[test]
fn each_input_row_is_read_once() {
    let (ny, nx) = (37, 16);
    let d = images(4, ny, nx);
    let w = weights(4, ny, nx);
    for ty in [CombineType::Median, CombineType::Minmed] {
        let reads: Vec<_> = (0..4).map(|_| std::sync::Arc::default()).collect();
        let inputs = (0..4)
            .map(|k| {
                let mut i = StackInput::new(Counting {
                    inner: ArraySource::new(d[k].view()),
                    reads: std::sync::Arc::clone(&reads[k]),
                })
                .with_weight(ArraySource::new(w[k].view()));
                i.weight_mean = Some(100.0);
                i
            })
            .collect();
        let p = CombineParams {
            combine_type: ty,
            combine_bufsize: 4 * nx * 8 * 6 + nx * 200,
            ..Default::default()
        };
        let mut out = CombineOutput::new((ny, nx));
        combine_into(inputs, &p, &mut out).unwrap();
        for r in &reads {
            let v = r.lock().unwrap();
            assert_eq!(*v, (0..ny).collect::<Vec<_>>(), "{ty:?}");
        }
    }
}

#[test]
fn bit_identical_for_any_thread_count() {
    let d = images(6, 64, 48);
    let w = weights(6, 64, 48);
    for ty in ALL {
        let p = CombineParams {
            combine_type: ty,
            ..Default::default()
        };
        let run = |t: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| combine(stack(&d, &w), &p).unwrap())
        };
        let one = run(1);
        for t in [2, 3, 4] {
            let other = run(t);
            assert!(
                one.image
                    .iter()
                    .zip(other.image.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{ty:?} with {t} threads"
            );
        }
    }
}

#[test]
fn nan_values_never_contribute() {
    let mut d = images(3, 4, 4);
    d[1][[2, 2]] = f32::NAN;
    let inputs = d
        .iter()
        .map(|a| StackInput::new(ArraySource::new(a.view())))
        .collect();
    let out = combine(inputs, &CombineParams::default()).unwrap();
    assert_eq!(out.count[[2, 2]], 2);
    let expected = ((f64::from(d[0][[2, 2]]) + f64::from(d[2][[2, 2]])) / 2.0) as f32;
    assert_eq!(out.image[[2, 2]], expected);
}

#[test]
fn empty_images_give_empty_output() {
    let a = Array2::<f32>::zeros((0, 5));
    let out = combine(
        vec![StackInput::new(ArraySource::new(a.view()))],
        &CombineParams::default(),
    )
    .unwrap();
    assert_eq!(out.image.dim(), (0, 5));
}
