//! `${VAR}` and `${VAR:-default}` in configuration values.

/// Replaces every `${NAME}` with the variable's value (`${NAME:-fallback}` when unset or empty);
/// `$$` is a literal `$`. An unset variable without a fallback is an error naming it.
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| format!("unclosed '${{' in '{text}'"))?;
            let expression = &body[..end];
            let (name, fallback) = match expression.split_once(":-") {
                Some((name, fallback)) => (name, Some(fallback)),
                None => (expression, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "'${{{expression}}}' is not a variable reference: use ${{NAME}} or ${{NAME:-default}}"
                ));
            }
            match (lookup(name).filter(|v| !v.is_empty()), fallback) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(fallback)) => out.push_str(fallback),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set (write ${{{name}:-default}} for a fallback)"
                    ));
                }
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db.local".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_variables() {
        assert_eq!(interpolate("postgres://${HOST}:5432/app", &env).unwrap(), "postgres://db.local:5432/app");
        assert_eq!(interpolate("${PORT:-5432}", &env).unwrap(), "5432");
        assert_eq!(interpolate("${EMPTY:-x}", &env).unwrap(), "x");
        assert_eq!(interpolate("a$$b $c", &env).unwrap(), "a$b $c");
    }

    #[test]
    fn reports_missing_and_malformed() {
        assert!(interpolate("${NOPE}", &env).unwrap_err().contains("NOPE"));
        assert!(interpolate("${HOST", &env).is_err());
        assert!(interpolate("${bad name}", &env).is_err());
    }
}
