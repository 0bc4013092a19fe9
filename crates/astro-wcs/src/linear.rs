//! The linear part of a FITS WCS: `CRPIXi`, and `PCi_j` + `CDELTi`, `CDi_j` or `CROTAi`,
//! read with WCSLIB's precedence rules (as astropy applies them, including `cdfix`).

use crate::error::{Error, Result};
use crate::header::Header;

/// How the linear transformation was written in the header (kept for `to_header`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LinearForm {
    /// `PCi_j` (default identity) and `CDELTi` (default 1).
    Pc { pc: [[f64; 2]; 2], cdelt: [f64; 2] },
    /// `CDi_j`.
    Cd,
}

/// The parsed linear transformation: `imgcrd_i = Σ_j m[i][j] (p_j - crpix_j)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Linear {
    pub(crate) m: [[f64; 2]; 2],
    pub(crate) m_inv: [[f64; 2]; 2],
    pub(crate) form: LinearForm,
}

pub(crate) fn invert(m: [[f64; 2]; 2], name: &str) -> Result<[[f64; 2]; 2]> {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if det == 0.0 || !det.is_finite() {
        return Err(Error::SingularMatrix {
            matrix: name.to_string(),
            determinant: det,
        });
    }
    Ok([
        [m[1][1] / det, -m[0][1] / det],
        [-m[1][0] / det, m[0][0] / det],
    ])
}

impl Linear {
    pub(crate) fn from_matrix(m: [[f64; 2]; 2], form: LinearForm, name: &str) -> Result<Self> {
        if m.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::InvalidKeyword {
                keyword: name.to_string(),
                reason: "matrix elements must be finite".into(),
            });
        }
        Ok(Linear {
            m,
            m_inv: invert(m, name)?,
            form,
        })
    }

    /// Read the linear transformation. `lat_axis` is 1-based (the axis whose `CROTA`
    /// counts); `s` is the alternate-WCS suffix.
    ///
    /// WCSLIB/astropy precedence: any `PCi_j` → PC + CDELT (CD and CROTA ignored); else
    /// any `CDi_j` → CD (CDELT and CROTA ignored; an axis none of whose `CDi_j`/`CDj_i`
    /// is given gets `CDi_i = 1`, the others default to 0); else `CROTA{lat}` → CDELT + rotation;
    /// else PC = identity with CDELT (default 1).
    pub(crate) fn from_header(header: &Header, lat_axis: usize, s: &str) -> Result<Self> {
        let get = |kw: String| -> Result<Option<f64>> {
            let v = header.get_f64(&kw)?;
            if let Some(x) = v
                && !x.is_finite()
            {
                return Err(Error::InvalidKeyword {
                    keyword: kw,
                    reason: "value must be finite".into(),
                });
            }
            Ok(v)
        };
        let mut pc = [[None; 2]; 2];
        let mut cd = [[None; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                pc[i][j] = get(format!("PC{}_{}{s}", i + 1, j + 1))?;
                cd[i][j] = get(format!("CD{}_{}{s}", i + 1, j + 1))?;
            }
        }
        let has_pc = pc.iter().flatten().any(Option::is_some);
        let has_cd = cd.iter().flatten().any(Option::is_some);
        let cdelt = [
            get(format!("CDELT1{s}"))?.unwrap_or(1.0),
            get(format!("CDELT2{s}"))?.unwrap_or(1.0),
        ];
        let crota = get(format!("CROTA{lat_axis}{s}"))?;
        if has_pc || (!has_cd && crota.is_none()) {
            let mut p = [[0.0; 2]; 2];
            for i in 0..2 {
                for j in 0..2 {
                    p[i][j] = pc[i][j].unwrap_or(if i == j { 1.0 } else { 0.0 });
                }
            }
            let m = [
                [cdelt[0] * p[0][0], cdelt[0] * p[0][1]],
                [cdelt[1] * p[1][0], cdelt[1] * p[1][1]],
            ];
            return Self::from_matrix(m, LinearForm::Pc { pc: p, cdelt }, "PC*CDELT");
        }
        if has_cd {
            let mut m = [[0.0; 2]; 2];
            for i in 0..2 {
                // WCSLIB cdfix: CDi_i = 1 when no CD element of axis i (row or column) is
                // given.
                let axis_absent = (0..2).all(|k| cd[i][k].is_none() && cd[k][i].is_none());
                for j in 0..2 {
                    m[i][j] = cd[i][j].unwrap_or(if axis_absent && i == j { 1.0 } else { 0.0 });
                }
            }
            return Self::from_matrix(m, LinearForm::Cd, "CD");
        }
        // CROTA on the latitude axis (AIPS convention).
        let rho = crota.unwrap_or(0.0).to_radians();
        let (sr, cr) = rho.sin_cos();
        let lat = lat_axis - 1;
        let lng = 1 - lat;
        if cdelt[lng] == 0.0 {
            return Err(Error::SingularMatrix {
                matrix: "CDELT*CROTA".into(),
                determinant: 0.0,
            });
        }
        let lambda = cdelt[lat] / cdelt[lng];
        let mut p = [[0.0; 2]; 2];
        p[lng][lng] = cr;
        p[lat][lat] = cr;
        p[lng][lat] = -lambda * sr;
        p[lat][lng] = sr / lambda;
        let m = [
            [cdelt[0] * p[0][0], cdelt[0] * p[0][1]],
            [cdelt[1] * p[1][0], cdelt[1] * p[1][1]],
        ];
        Self::from_matrix(m, LinearForm::Pc { pc: p, cdelt }, "CDELT*CROTA")
    }

    /// Multiply world axis `i` (a row of the matrix, and `CDELTi` of the PC form) by `f`:
    /// WCSLIB's translation of `CUNITi` other than degrees.
    pub(crate) fn scale_axis(&mut self, i: usize, f: f64, name: &str) -> Result<()> {
        let mut m = self.m;
        m[i][0] *= f;
        m[i][1] *= f;
        let form = match self.form {
            LinearForm::Pc { pc, mut cdelt } => {
                cdelt[i] *= f;
                LinearForm::Pc { pc, cdelt }
            }
            LinearForm::Cd => LinearForm::Cd,
        };
        *self = Linear::from_matrix(m, form, name)?;
        Ok(())
    }

    /// Pixel offset from CRPIX -> intermediate world coordinates (axis order).
    #[inline]
    pub(crate) fn apply(&self, dx: f64, dy: f64) -> (f64, f64) {
        (
            self.m[0][0] * dx + self.m[0][1] * dy,
            self.m[1][0] * dx + self.m[1][1] * dy,
        )
    }

    /// Intermediate world coordinates (axis order) -> pixel offset from CRPIX.
    #[inline]
    pub(crate) fn apply_inverse(&self, a: f64, b: f64) -> (f64, f64) {
        (
            self.m_inv[0][0] * a + self.m_inv[0][1] * b,
            self.m_inv[1][0] * a + self.m_inv[1][1] * b,
        )
    }

    pub(crate) fn write(&self, header: &mut Header, s: &str) {
        match self.form {
            LinearForm::Cd => {
                for i in 0..2 {
                    for j in 0..2 {
                        header.set(&format!("CD{}_{}{s}", i + 1, j + 1), self.m[i][j]);
                    }
                }
            }
            LinearForm::Pc { pc, cdelt } => {
                for (i, row) in pc.iter().enumerate() {
                    for (j, v) in row.iter().enumerate() {
                        header.set(&format!("PC{}_{}{s}", i + 1, j + 1), *v);
                    }
                }
                header.set(&format!("CDELT1{s}"), cdelt[0]);
                header.set(&format!("CDELT2{s}"), cdelt[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lin(text: &str) -> Result<Linear> {
        Linear::from_header(&Header::parse_text(text).unwrap(), 2, "")
    }

    // Expected matrices measured with astropy 8.0.2 (`WCS(header).pixel_scale_matrix`).
    #[test]
    fn precedence_like_astropy() {
        let m = lin("CD1_1   = -1e-4\nCD2_2   = 1e-4\nPC1_1   = 0.5\nPC2_2   = 0.5\nCDELT1  = 2e-4\nCDELT2  = 2e-4\n").unwrap().m;
        assert_eq!(m, [[1e-4, 0.0], [0.0, 1e-4]]);
        let m = lin("CD1_1   = -1e-4\nCD2_2   = 1e-4\nCDELT1  = 2e-4\nCDELT2  = 2e-4\n")
            .unwrap()
            .m;
        assert_eq!(m, [[-1e-4, 0.0], [0.0, 1e-4]]);
        let m = lin("CD1_1   = -1e-4\nCROTA2  = 30.\nCDELT1  = 2e-4\nCDELT2  = 2e-4\n")
            .unwrap()
            .m;
        assert_eq!(m, [[-1e-4, 0.0], [0.0, 1.0]]);
        let m = lin("CROTA2  = 30.\nCDELT1  = -2e-4\nCDELT2  = 2e-4\n")
            .unwrap()
            .m;
        let want = [
            [-0.00017320508075688776, -9.999999999999999e-05],
            [-9.999999999999999e-05, 0.00017320508075688776],
        ];
        for i in 0..2 {
            for j in 0..2 {
                assert!((m[i][j] - want[i][j]).abs() < 1e-19, "{m:?}");
            }
        }
        let m = lin("CROTA2  = 30.\nCDELT1  = -2e-4\nCDELT2  = 2e-4\nPC1_2   = 0.1\n")
            .unwrap()
            .m;
        assert!((m[0][1] - -2e-5).abs() < 1e-20 && m[1][0] == 0.0 && m[0][0] == -2e-4);
        let m = lin("").unwrap().m;
        assert_eq!(m, [[1.0, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn cdfix_needs_row_and_column_absent() {
        assert_eq!(
            lin("CD1_1   = -1e-4\n").unwrap().m,
            [[-1e-4, 0.0], [0.0, 1.0]]
        );
        // astropy: "PCi_ja matrix is singular" for these two.
        assert!(lin("CD1_1   = -1e-4\nCD1_2   = 1e-5\n").is_err());
        assert!(lin("CD1_1   = -1e-4\nCD2_1   = 1e-5\n").is_err());
    }

    #[test]
    fn singular() {
        let e =
            lin("CD1_1   = 1e-4\nCD1_2   = 1e-4\nCD2_1   = 1e-4\nCD2_2   = 1e-4\n").unwrap_err();
        assert!(matches!(e, Error::SingularMatrix { ref matrix, .. } if matrix == "CD"));
        let e = lin("CDELT1  = 0\n").unwrap_err();
        assert!(matches!(e, Error::SingularMatrix { .. }));
    }
}
