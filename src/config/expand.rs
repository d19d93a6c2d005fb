//! `${VAR}` and `${VAR:-default}` expansion for `sources[].url` and `sources[].headers` values.
//!
//! `$$` is a literal `$`; a `$` not followed by `{` or `$` is kept as it is. As in the shell,
//! `${VAR:-default}` uses the default when the variable is unset or empty. Error messages name
//! the variable, never its value.

/// Expands the variables in `input`, looking them up with `env`.
pub fn expand(input: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    if !input.contains('$') {
        return Ok(input.to_owned());
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                return Err(
                    "unterminated `${` (write ${VAR} or ${VAR:-default}; write $$ for a literal $)"
                        .into(),
                );
            };
            let (name, default) = match body[..close].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&body[..close], None),
            };
            if !is_variable_name(name) {
                return Err(format!(
                    "`${{{}}}` is not a variable reference (write ${{VAR}} or ${{VAR:-default}} \
                     with VAR made of letters, digits and _)",
                    &body[..close]
                ));
            }
            match (env(name), default) {
                (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    return Err(format!(
                        "environment variable `{name}` is not set (export it, or give a default: \
                         ${{{name}:-value}})"
                    ))
                }
            }
            rest = &body[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("prom.example".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_variables_and_defaults() {
        assert_eq!(
            expand("http://${HOST}:9090", &env),
            Ok("http://prom.example:9090".into())
        );
        assert_eq!(expand("${NOPE:-http://x}", &env), Ok("http://x".into()));
        assert_eq!(expand("${EMPTY:-d}", &env), Ok("d".into()));
        assert_eq!(expand("a${EMPTY}b", &env), Ok("ab".into()));
        assert_eq!(expand("${HOST:-d}", &env), Ok("prom.example".into()));
        assert_eq!(expand("$$HOST $x $", &env), Ok("$HOST $x $".into()));
        assert_eq!(expand("plain", &env), Ok("plain".into()));
    }

    #[test]
    fn names_the_missing_variable() {
        let err = expand("http://${PROM_HOST}", &env).expect_err("must be rejected");
        assert!(err.contains("`PROM_HOST` is not set"), "{err}");
        assert!(expand("${HOST", &env)
            .expect_err("must be rejected")
            .contains("unterminated"));
        assert!(expand("${A-B}", &env)
            .expect_err("must be rejected")
            .contains("not a variable reference"));
        assert!(expand("${}", &env).is_err());
    }
}
