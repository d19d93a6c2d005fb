//! `/api/v1/query` and `/api/v1/query_range` answers (also buildinfo and label values, which
//! share the envelope). The input is the body; it is decoded as a 200 and as a 422 answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sretop::prom::{self, QueryData};

const JSON: Option<&str> = Some("application/json");

fuzz_target!(|body: &[u8]| {
    for status in [200, 422] {
        match prom::decode_query_body(status, JSON, body, 64) {
            Ok(r) => {
                assert!(r.data.series_count() <= 64);
                let samples = match &r.data {
                    QueryData::Matrix(m) => m.iter().map(|s| s.values.len()).sum(),
                    QueryData::Vector(v) => v.len(),
                    QueryData::Scalar(_) | QueryData::String(_) => 1,
                };
                // Each sample takes at least `[0,"0"]` on the wire.
                assert!(samples * 7 <= body.len());
            }
            Err(e) => assert!(!e.to_string().trim().is_empty()),
        }
        if let Ok(v) = prom::decode_label_values_body(status, JSON, body, 64) {
            assert!(v.len() <= 64);
        }
        let _ = prom::decode_buildinfo_body(status, JSON, body);
    }
});
