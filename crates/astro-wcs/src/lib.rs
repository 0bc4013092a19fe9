//! FITS header cards and celestial World Coordinate Systems.
//!
//! `astro-wcs` is the coordinate foundation of the astro-* crates: it parses FITS headers
//! ([`Header`], [`Card`], [`Value`]) and turns them into a [`Wcs`] that maps 0-based pixel
//! coordinates to the sky and back, including the distortions of real instruments (SIP,
//! TPV, and the lookup tables of HST's Paper IV convention).
//!
//! Conventions: pixel coordinates are 0-based with the centre of the first pixel at
//! (0, 0) (astropy's `origin=0`); world coordinates are `(longitude, latitude)` and
//! angles are in degrees; pixel scales are in arcseconds; image shapes are `(ny, nx)`.
//!
//! The happy path — header in, coordinates out:
//!
//! ```
//! use astro_wcs::{Header, Wcs};
//!
//! let header = Header::parse_text(
//!     "NAXIS   = 2\nNAXIS1  = 100\nNAXIS2  = 100\n\
//!      CTYPE1  = 'RA---TAN'\nCTYPE2  = 'DEC--TAN'\n\
//!      CRPIX1  = 50.5\nCRPIX2  = 50.5\nCRVAL1  = 5.6\nCRVAL2  = -72.0\n\
//!      CD1_1   = -1e-5\nCD1_2   = 0.0\nCD2_1   = 0.0\nCD2_2   = 1e-5\n",
//! )?;
//! let wcs = Wcs::from_header(&header)?;
//! let (ra, dec) = wcs.pixel_to_world(0.0, 0.0)?; // astropy: all_pix2world(0, 0, 0)
//! let (x, y) = wcs.world_to_pixel(ra, dec)?;
//! assert!(x.abs() < 1e-8 && y.abs() < 1e-8);
//! assert!((wcs.pixel_scale(49.5, 49.5)? - 0.036).abs() < 1e-9); // arcsec
//! # Ok::<(), astro_wcs::Error>(())
//! ```
//!
//! Distortion: SIP (`A_p_q`, `B_p_q`, with `AP`/`BP`), TPV (`PVi_m`), and lookup
//! tables (`CPDISj`, `D2IMDISj`) whose extensions the caller reads (see
//! [`required_tables`] and [`Wcs::from_header_with_tables`]); they are applied in
//! astropy's `all_pix2world` order. Batches ([`Wcs::pixel_to_world_many`]), tile-wise
//! pixel maps between two WCS ([`PixelMapper`]), output frames covering several inputs
//! ([`output_frame`]) and headers back out ([`Wcs::to_header`]) complete the crate.
#![forbid(unsafe_code)]

mod batch;
pub mod celestial;
mod error;
mod frame;
pub mod header;
mod linear;
mod lookup;
mod pixmap;
pub mod proj;
mod sip;
mod tpv;
mod wcs;

pub use error::{Error, Result};
pub use frame::{OutputFrameOptions, SkyBox, output_frame, sky_bounding_box};
pub use header::{Card, Header, Value};
pub use lookup::{LookupTable, required_tables};
pub use pixmap::PixelMapper;
pub use sip::{MAX_SIP_ORDER, Sip, SipPolynomial};
pub use tpv::{TPV_TERMS, Tpv};
pub use wcs::{INVERSE_MAX_ITERATIONS, INVERSE_TOLERANCE_PX, Wcs};
