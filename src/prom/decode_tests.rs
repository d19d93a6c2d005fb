//! Unit tests for [`decode_query_body`] and friends, using bodies shaped like
//! real Prometheus and VictoriaMetrics answers.

use super::*;

const JSON: Option<&str> = Some("application/json");

fn ok(body: &str) -> QueryResponse {
    decode_query_body(200, JSON, body.as_bytes(), 10_000)
        .unwrap_or_else(|e| panic!("decode failed: {e}\nbody: {body}"))
}

fn err(status: u16, content_type: Option<&str>, body: &str) -> PromError {
    match decode_query_body(status, content_type, body.as_bytes(), 10_000) {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => e,
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn matrix() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},
         "values":[[1435781430.781,"1"],[1435781445.781,"0.5"],[1435781460,"2"]]},
        {"metric":{"job":"node"},"values":[]}]}}"#,
    );
    assert!(r.warnings.is_empty());
    let QueryData::Matrix(series) = r.data else {
        panic!("not a matrix: {:?}", r.data)
    };
    assert_eq!(series.len(), 2);
    assert_eq!(
        series[0].metric,
        labels(&[
            ("__name__", "up"),
            ("job", "prometheus"),
            ("instance", "localhost:9090")
        ])
    );
    assert_eq!(
        series[0].values,
        vec![
            Sample {
                t: 1435781430.781,
                v: 1.0
            },
            Sample {
                t: 1435781445.781,
                v: 0.5
            },
            Sample {
                t: 1435781460.0,
                v: 2.0
            },
        ]
    );
    assert!(series[1].values.is_empty());
}

#[test]
fn vector() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"prometheus"},"value":[1435781451.781,"1"]},
        {"metric":{},"value":[1435781451.781,"0"]}]}}"#,
    );
    let QueryData::Vector(v) = r.data else {
        panic!("not a vector")
    };
    assert_eq!(v.len(), 2);
    assert_eq!(
        v[0].metric,
        labels(&[("__name__", "up"), ("job", "prometheus")])
    );
    assert_eq!(
        v[0].value,
        Sample {
            t: 1435781451.781,
            v: 1.0
        }
    );
    assert!(v[1].metric.is_empty());
    assert_eq!(v[1].value.v, 0.0);
}

#[test]
fn empty_vector() {
    let r = ok(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#);
    assert_eq!(r.data, QueryData::Vector(vec![]));
}

#[test]
fn scalar() {
    let r =
        ok(r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"42"]}}"#);
    assert_eq!(
        r.data,
        QueryData::Scalar(Sample {
            t: 1700000000.5,
            v: 42.0
        })
    );
}

#[test]
fn string() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"string","result":[1700000000,"hello \"world\""]}}"#,
    );
    assert_eq!(r.data, QueryData::String("hello \"world\"".to_owned()));
}

#[test]
fn special_values() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"1e-07"],[5,"123.5"],[6,"Inf"],[7,"-0"]]}]}}"#,
    );
    let QueryData::Matrix(s) = r.data else {
        panic!("not a matrix")
    };
    let v: Vec<f64> = s[0].values.iter().map(|s| s.v).collect();
    assert!(v[0].is_nan());
    assert_eq!(v[1], f64::INFINITY);
    assert_eq!(v[2], f64::NEG_INFINITY);
    assert_eq!(v[3], 1e-7);
    assert_eq!(v[4], 123.5);
    assert_eq!(v[5], f64::INFINITY);
    assert_eq!(v[6], 0.0);
}

#[test]
fn sample_value_parser() {
    assert_eq!(parse_sample_value("+Inf"), Some(f64::INFINITY));
    assert_eq!(parse_sample_value("Inf"), Some(f64::INFINITY));
    assert_eq!(parse_sample_value("-Inf"), Some(f64::NEG_INFINITY));
    assert!(parse_sample_value("NaN").is_some_and(f64::is_nan));
    assert_eq!(parse_sample_value("1e-07"), Some(1e-7));
    assert_eq!(parse_sample_value(""), None);
    assert_eq!(parse_sample_value("12 "), None);
    assert_eq!(parse_sample_value("abc"), None);
}

#[test]
fn garbage_value_is_decode_error() {
    let e = err(
        200,
        JSON,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}"#,
    );
    assert!(matches!(e, PromError::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("\"abc\" is not a number"), "{e}");
}

#[test]
fn value_not_a_pair_is_decode_error() {
    for value in [r#"[1]"#, r#"[1,"2",3]"#, r#"[]"#, r#""1""#, r#"{"t":1}"#] {
        let body = format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":{value}}}]}}}}"#
        );
        let e = err(200, JSON, &body);
        assert!(matches!(e, PromError::Decode { .. }), "{value}: {e:?}");
    }
}

#[test]
fn value_not_a_string_is_decode_error() {
    let e = err(
        200,
        JSON,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#,
    );
    assert!(matches!(e, PromError::Decode { .. }), "{e:?}");
    let e = err(
        200,
        JSON,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["1","2"]]}]}}"#,
    );
    assert!(
        matches!(e, PromError::Decode { .. }),
        "timestamp as string: {e:?}"
    );
}

#[test]
fn wrong_shapes_are_decode_errors() {
    let bodies = [
        // result is not an array
        r#"{"status":"success","data":{"resultType":"vector","result":{}}}"#,
        // matrix series without values
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}}"#,
        // vector sample without value
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}"#,
        // unknown result type
        r#"{"status":"success","data":{"resultType":"histogram","result":[]}}"#,
        // missing resultType / result / data / status
        r#"{"status":"success","data":{"result":[]}}"#,
        r#"{"status":"success","data":{"resultType":"vector"}}"#,
        r#"{"status":"success"}"#,
        r#"{"data":{"resultType":"vector","result":[]}}"#,
        // labels are not strings
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}}"#,
        // not an object at all
        r#"[1,2,3]"#,
        r#""success""#,
        r#"null"#,
        // trailing garbage
        r#"{"status":"success","data":{"resultType":"vector","result":[]}} x"#,
        // unknown status
        r#"{"status":"partial","data":{"resultType":"vector","result":[]}}"#,
        "",
    ];
    for body in bodies {
        let e = err(200, JSON, body);
        assert!(matches!(e, PromError::Decode { .. }), "{body}: {e:?}");
        assert!(e.to_string().starts_with("malformed response: "), "{e}");
    }
}

#[test]
fn truncated_json() {
    let full = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1,"1"],[2,"2"]]}]}}"#;
    for cut in [1, 10, 40, 70, full.len() - 1] {
        let e = err(200, JSON, &full[..cut]);
        assert!(matches!(e, PromError::Decode { .. }), "cut {cut}: {e:?}");
    }
    let e = err(200, JSON, &full[..full.len() - 1]);
    assert!(e.to_string().contains("EOF while parsing"), "{e}");
}

#[test]
fn prometheus_bad_data_400() {
    let e = err(
        400,
        Some("application/json"),
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#,
    );
    assert_eq!(
        e,
        PromError::Api {
            status: 400,
            error_type: "bad_data".into(),
            error: "invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"
                .into()
        }
    );
    assert_eq!(
        e.to_string(),
        "bad_data: invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"
    );
    assert!(!e.is_transport());
}

#[test]
fn prometheus_execution_422() {
    let e = err(
        422,
        Some("application/json; charset=utf-8"),
        r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}"#,
    );
    let PromError::Api {
        status,
        error_type,
        error,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*status, error_type.as_str()), (422, "execution"));
    assert!(error.starts_with("query processing would load too many samples"));
    assert!(!e.is_transport());
}

#[test]
fn prometheus_timeout_503_envelope_is_api() {
    let e = err(
        503,
        JSON,
        r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
    );
    assert!(matches!(e, PromError::Api { status: 503, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "timeout: query timed out in expression evaluation"
    );
}

#[test]
fn victoriametrics_422() {
    let e = err(
        422,
        JSON,
        r#"{"status":"error","errorType":"422","error":"error when executing query=\"rate(foo[5m]\" on the time range (start=1700000000000, end=1700003600000, step=15000): cannot parse"}"#,
    );
    let PromError::Api {
        error_type, error, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(error_type, "422");
    assert!(error.starts_with("error when executing query="));
    assert!(e
        .to_string()
        .starts_with("422: error when executing query="));
}

#[test]
fn error_envelope_without_error_type() {
    let e = err(400, JSON, r#"{"status":"error","error":"multi\nline"}"#);
    assert_eq!(
        e,
        PromError::Api {
            status: 400,
            error_type: String::new(),
            error: "multi line".into()
        }
    );
    assert_eq!(e.to_string(), "multi line");
}

#[test]
fn error_envelope_with_2xx_is_still_api() {
    let e = err(
        200,
        JSON,
        r#"{"status":"error","errorType":"bad_data","error":"x"}"#,
    );
    assert!(matches!(e, PromError::Api { status: 200, .. }), "{e:?}");
}

#[test]
fn warnings_and_infos() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"vector","result":[]},
        "warnings":["PromQL warning: encountered a mix of histograms and floats"],
        "infos":["PromQL info: metric might not be a counter"]}"#,
    );
    assert_eq!(
        r.warnings,
        vec![
            "PromQL warning: encountered a mix of histograms and floats".to_owned(),
            "info: PromQL info: metric might not be a counter".to_owned(),
        ]
    );
    // null and absent are both fine.
    let r = ok(
        r#"{"status":"success","warnings":null,"infos":null,"data":{"resultType":"vector","result":[]}}"#,
    );
    assert!(r.warnings.is_empty());
}

#[test]
fn unknown_fields_ignored_and_field_order_free() {
    let r = ok(
        r#"{"isPartial":false,"data":{"stats":{"x":1},"result":[{"value":[1,"3"],"metric":{"a":"b"}}],"resultType":"vector"},"status":"success"}"#,
    );
    let QueryData::Vector(v) = r.data else {
        panic!("not a vector")
    };
    assert_eq!(v[0].value.v, 3.0);
    assert_eq!(v[0].metric, labels(&[("a", "b")]));
}

#[test]
fn native_histograms_are_skipped_with_a_warning() {
    let r = ok(
        r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"a":"h"},"histogram":[1,{"count":"2","sum":"3","buckets":[]}]},
        {"metric":{"a":"f"},"value":[1,"1"]}]}}"#,
    );
    let QueryData::Vector(v) = r.data else {
        panic!("not a vector")
    };
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].metric, labels(&[("a", "f")]));
    assert_eq!(
        r.warnings,
        vec!["1 native histogram series not shown".to_owned()]
    );
}

#[test]
fn service_unavailable_plain_text() {
    let e = err(
        503,
        Some("text/plain; charset=utf-8"),
        "Service Unavailable\n",
    );
    assert_eq!(
        e,
        PromError::Http {
            status: 503,
            body: "Service Unavailable".into()
        }
    );
    assert_eq!(e.to_string(), "HTTP 503: Service Unavailable");
    assert!(e.is_transport());
}

#[test]
fn html_502_from_proxy() {
    let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n";
    let e = err(502, Some("text/html"), body);
    assert_eq!(
        e,
        PromError::Http {
            status: 502,
            body: "502 Bad Gateway".into()
        }
    );
    assert!(e.is_transport());
}

#[test]
fn empty_error_body_uses_reason_phrase() {
    let e = err(503, None, "");
    assert_eq!(e.to_string(), "HTTP 503: Service Unavailable");
    let e = err(429, Some("text/plain"), "   \n");
    assert_eq!(e.to_string(), "HTTP 429: Too Many Requests");
    assert!(e.is_transport());
    let e = err(404, Some("text/plain"), "404 page not found\n");
    assert_eq!(e.to_string(), "HTTP 404: 404 page not found");
    assert!(!e.is_transport());
}

#[test]
fn http_body_is_capped_at_200_chars() {
    let long = "x".repeat(1000);
    let PromError::Http { body, .. } = err(500, Some("text/plain"), &long) else {
        panic!()
    };
    assert_eq!(body.chars().count(), 200);
}

#[test]
fn non_json_error_with_json_body_not_envelope_is_http() {
    let e = err(500, JSON, r#"{"message":"internal"}"#);
    assert!(matches!(e, PromError::Http { status: 500, .. }), "{e:?}");
    let e = err(500, JSON, "garbage{");
    assert_eq!(
        e,
        PromError::Http {
            status: 500,
            body: "garbage{".into()
        }
    );
}

#[test]
fn success_with_non_json_content_type_is_decode() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    let e = err(200, Some("text/html"), body);
    assert!(matches!(e, PromError::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("text/html"), "{e}");
    let e = err(200, None, body);
    assert!(matches!(e, PromError::Decode { .. }), "{e:?}");
    // +json and parameters are accepted.
    assert!(decode_query_body(200, Some("application/vnd.x+json"), body.as_bytes(), 1).is_ok());
    assert!(decode_query_body(
        200,
        Some("Application/JSON; charset=UTF-8"),
        body.as_bytes(),
        1
    )
    .is_ok());
}

#[test]
fn too_many_series() {
    let mut body = String::from(r#"{"status":"success","data":{"resultType":"vector","result":["#);
    for i in 0..25 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(r#"{{"metric":{{"i":"{i}"}},"value":[1,"{i}"]}}"#));
    }
    body.push_str("]}}");
    let e = decode_query_body(200, JSON, body.as_bytes(), 10).unwrap_err();
    assert_eq!(
        e,
        PromError::TooManySeries {
            count: 25,
            limit: 10
        }
    );
    assert_eq!(e.to_string(), "too many series (25 > 10): narrow the query");
    assert!(!e.is_transport());
    // Exactly at the limit is fine.
    let r = decode_query_body(200, JSON, body.as_bytes(), 25).unwrap();
    assert_eq!(r.data.series_count(), 25);
    // Skipped series past the limit are still validated as JSON.
    let broken = body.replace(r#"{"metric":{"i":"20"}"#, r#"{"metric":{"i":"20"]"#);
    assert!(matches!(
        decode_query_body(200, JSON, broken.as_bytes(), 10),
        Err(PromError::Decode { .. })
    ));
}

#[test]
fn too_many_series_matrix() {
    let series: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"metric":{{"i":"{i}"}},"values":[[1,"1"]]}}"#))
        .collect();
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#,
        series.join(",")
    );
    let e = decode_query_body(200, JSON, body.as_bytes(), 2).unwrap_err();
    assert_eq!(e, PromError::TooManySeries { count: 3, limit: 2 });
}

#[test]
fn buildinfo_prometheus_and_victoriametrics() {
    let b = decode_buildinfo_body(
        200,
        JSON,
        br#"{"status":"success","data":{"version":"2.53.0","revision":"abc","branch":"HEAD","buildUser":"root@x","buildDate":"20240618-15:59:41","goVersion":"go1.22.4"}}"#,
    )
    .unwrap();
    assert_eq!(b.version.as_deref(), Some("2.53.0"));
    assert_eq!(b.go_version.as_deref(), Some("go1.22.4"));
    assert_eq!(b.build_user.as_deref(), Some("root@x"));

    let b = decode_buildinfo_body(200, JSON, br#"{"status":"success","data":{}}"#).unwrap();
    assert_eq!(b, BuildInfo::default());

    let e = decode_buildinfo_body(404, Some("text/plain"), b"404 page not found").unwrap_err();
    assert_eq!(e.to_string(), "HTTP 404: 404 page not found");
}

#[test]
fn decoder_never_panics_on_mutations() {
    // Cheap deterministic fuzz: every prefix and every single-byte substitution
    // of a valid answer must decode or fail cleanly.
    let body = br#"{"status":"success","warnings":["w"],"data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1.5,"NaN"],[2,"+Inf"]]}]}}"#;
    for cut in 0..body.len() {
        let _ = decode_query_body(200, JSON, &body[..cut], 10);
    }
    for i in 0..body.len() {
        for b in [b'"', b'[', b']', b'{', b'}', b',', b'0', b'x', 0xff] {
            let mut m = body.to_vec();
            m[i] = b;
            let _ = decode_query_body(200, JSON, &m, 10);
            let _ = decode_query_body(500, JSON, &m, 10);
        }
    }
}

#[test]
fn label_values() {
    let body = br#"{"status":"success","data":["http_requests_total","up"],"warnings":["results truncated due to limit"]}"#;
    assert_eq!(
        decode_label_values_body(200, JSON, body, 10).expect("decodes"),
        vec!["http_requests_total", "up"]
    );
    assert!(matches!(
        decode_label_values_body(200, JSON, body, 1),
        Err(PromError::TooManySeries { count: 2, limit: 1 })
    ));
    let refused = br#"{"status":"error","errorType":"bad_data","error":"invalid label name"}"#;
    assert!(matches!(
        decode_label_values_body(400, JSON, refused, 10),
        Err(PromError::Api { .. })
    ));
    assert!(matches!(
        decode_label_values_body(200, JSON, br#"{"status":"success","data":[1]}"#, 10),
        Err(PromError::Decode { .. })
    ));
}

#[test]
fn error_envelope_with_an_empty_message_still_says_something() {
    // Found by fuzzing: no errorType and an empty error made an error that said nothing.
    for body in [
        r#"{"status":"error","error":""}"#,
        r#"{"status":"error","error":"  "}"#,
        r#"{"status":"error"}"#,
    ] {
        let e = err(422, JSON, body);
        assert_eq!(
            e.to_string(),
            "error without a message (HTTP 422)",
            "{body}"
        );
    }
}
