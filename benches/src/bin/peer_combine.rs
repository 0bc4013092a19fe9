//! Our side of the stack race run by `parity/scripts/bench_combine_peers.py`.
//!
//! ```text
//! peer_combine --type median|minmed|mean --budget BYTES --out OUT.fits [--threads T]
//!              [--exptime S] [--readnoise E] [--sky E] IN1.fits IN2.fits ...
//! ```
//!
//! Streams the primary HDUs of the inputs through `astro_combine::combine_into` with a
//! total memory budget of `--budget` bytes and writes the combined image band by band to
//! `OUT.fits` (extension `SCI`). For minmed every input gets a constant weight image equal
//! to `--exptime` (with its mean given, so no extra pass). Prints one JSON line with the
//! wall time and, per input, the number of rows read (each input must be read once: the
//! count equals the image height).

use std::time::Instant;

use astro_combine::{
    CombineError, CombineParams, CombineType, ConstantSource, RowSink, RowSource, StackInput,
    combine_into,
};
use astro_fits::{FitsReader, FitsWriter, HduId};
use astro_wcs::Header;
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Slice};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A FITS image HDU read band by band.
struct FitsRows {
    reader: FitsReader,
    hdu: HduId,
    shape: (usize, usize),
    rows_read: Arc<AtomicUsize>,
}

impl RowSource for FitsRows {
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn read_rows(
        &mut self,
        y0: usize,
        y1: usize,
        mut out: ArrayViewMut2<'_, f32>,
    ) -> astro_combine::Result<()> {
        // Read in chunks of at most 64 rows: the reader returns a new array per call, and
        // this keeps that temporary small next to the stack's budgeted band buffers.
        let mut y = y0;
        while y < y1 {
            let ye = (y + 64).min(y1);
            let chunk = self
                .reader
                .read_rows::<f32>(self.hdu.clone(), y..ye)
                .map_err(|e| CombineError::Io {
                    index: 0,
                    message: e.to_string(),
                })?;
            out.slice_axis_mut(Axis(0), Slice::from(y - y0..ye - y0))
                .assign(&chunk);
            y = ye;
        }
        self.rows_read.fetch_add(y1 - y0, Ordering::Relaxed);
        Ok(())
    }
}

/// Writes the combined rows to a FITS extension as they arrive.
struct FitsSink {
    writer: FitsWriter,
}

impl RowSink for FitsSink {
    fn write_rows(
        &mut self,
        _y0: usize,
        image: ArrayView2<'_, f32>,
        _count: ArrayView2<'_, u32>,
    ) -> astro_combine::Result<()> {
        self.writer.write_rows(image).map_err(|e| CombineError::Io {
            index: usize::MAX,
            message: e.to_string(),
        })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut ty = CombineType::Median;
    let mut budget = 256usize << 20;
    let mut out = None;
    let mut threads = 2usize;
    let (mut exptime, mut readnoise, mut sky) = (1.0f64, 5.0f64, 0.0f64);
    let mut inputs = Vec::new();
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--type" => ty = val()?.parse()?,
            "--budget" => budget = val()?.parse()?,
            "--out" => out = Some(val()?),
            "--threads" => threads = val()?.parse()?,
            "--exptime" => exptime = val()?.parse()?,
            "--readnoise" => readnoise = val()?.parse()?,
            "--sky" => sky = val()?.parse()?,
            _ => inputs.push(a),
        }
    }
    let out = out.ok_or("--out is required")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let t0 = Instant::now();
    let counters: Vec<Arc<AtomicUsize>> = inputs.iter().map(|_| Arc::default()).collect();
    let mut stack = Vec::new();
    let mut shape = (0, 0);
    for (path, counter) in inputs.iter().zip(&counters) {
        let mut reader = FitsReader::open(path)?;
        let hdu = HduId::Index(0);
        let info = reader.hdus()?;
        let (ny, nx) = match info[0].shape.as_slice() {
            &[ny, nx] => (ny, nx),
            other => return Err(format!("{path}: primary HDU has shape {other:?}").into()),
        };
        shape = (ny, nx);
        let src = FitsRows {
            reader,
            hdu,
            shape,
            rows_read: counter.clone(),
        };
        let mut input = StackInput::new(src).with_noise(exptime, readnoise, sky);
        if matches!(ty, CombineType::Minmed | CombineType::IMinmed) {
            input = input.with_weight(ConstantSource::new(shape, exptime as f32));
            input.weight_mean = Some(exptime);
        }
        stack.push(input);
    }
    let mut writer = FitsWriter::create(&out, true)?;
    writer.begin_image::<f32>("SCI", 1, &Header::new(), shape)?;
    let mut sink = FitsSink { writer };
    let params = CombineParams {
        combine_type: ty,
        combine_bufsize: budget,
        ..Default::default()
    };
    pool.install(|| combine_into(stack, &params, &mut sink))?;
    sink.writer.finish()?;
    let secs = t0.elapsed().as_secs_f64();
    let rows: Vec<usize> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!(
        "{{\"seconds\": {secs:.4}, \"type\": \"{ty:?}\", \"budget\": {budget}, \"threads\": {threads}, \"shape\": [{}, {}], \"rows_read\": {rows:?}}}",
        shape.0, shape.1
    );
    Ok(())
}
