//! Polynomial surface fits in the manner of IRAF `geomap`.
