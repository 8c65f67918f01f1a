//! A JavaScript exception as a message for people: the JS message and the stack frames of the
//! migration (the prelude's own frames left out); a syntax error as `file:line:column`; a server's
//! refusal (an error with a numeric `code`, as the driver's `MongoServerError`) with its code's
//! name and number, as mongrate words server errors elsewhere.

use mongrate_mongo::errors::server_failure;
use rquickjs::{CaughtError, Object, Value};

/// Frames of the prelude and of the engine's own functions (`at call (native)`), which say
/// nothing to the migration's author.
fn is_prelude_frame(frame: &str) -> bool {
    frame.contains("mongrate:") || frame.trim_end().ends_with("(native)")
}

/// The `file:line:column` of a frame like `    at up (/m/001-x.js:12:5)`.
fn location(frame: &str) -> Option<&str> {
    let frame = frame.trim().strip_prefix("at ")?;
    let inner = match (frame.rfind('('), frame.strip_suffix(')')) {
        (Some(open), Some(trimmed)) => &trimmed[open + 1..],
        _ => frame,
    };
    Some(inner)
}

fn value_text(value: &Value<'_>) -> String {
    if let Some(text) = value.as_string().and_then(|s| s.to_string().ok()) {
        return text;
    }
    if let Some(number) = value.as_number() {
        return number.to_string();
    }
    format!("a {} value", value.type_name())
}

/// The `code` of an error the server refused something with: a whole number (a migration's own
/// errors may carry codes of other kinds, like Node's `'ENOENT'`).
fn server_code(error: &Object<'_>) -> Option<i32> {
    let code = error.get::<_, Value>("code").ok()?;
    if let Some(code) = code.as_int() {
        return Some(code);
    }
    let code = code.as_float()?;
    (code.fract() == 0.0 && code >= f64::from(i32::MIN) && code <= f64::from(i32::MAX)).then_some(code as i32)
}

/// Describes a value a promise was rejected with.
pub fn describe_value(value: Value<'_>) -> String {
    match value.clone().into_exception() {
        Some(exception) => describe(CaughtError::Exception(exception)),
        None => match value.as_object().and_then(|o| o.get::<_, String>("message").ok()) {
            Some(message) => message,
            None => describe(CaughtError::Value(value)),
        },
    }
}

/// Describes what a migration threw.
pub fn describe(caught: CaughtError<'_>) -> String {
    match caught {
        CaughtError::Exception(exception) => {
            let object = exception.as_object();
            let name: String = object.get("name").unwrap_or_else(|_| "Error".to_owned());
            let mut message = exception.message().unwrap_or_default();
            if let Some(code) = server_code(object) {
                let code_name = object.get::<_, Option<String>>("codeName").ok().flatten();
                message = server_failure(code, code_name.as_deref(), &message);
            }
            let stack = exception.stack().unwrap_or_default();
            let frames: Vec<&str> = stack.lines().filter(|f| !f.trim().is_empty() && !is_prelude_frame(f)).collect();
            if name == "SyntaxError"
                && let Some(at) = frames.first().and_then(|f| location(f))
            {
                return format!("{at}: SyntaxError: {message}");
            }
            let mut text = if name.is_empty() { message } else { format!("{name}: {message}") };
            for frame in frames {
                text.push('\n');
                text.push_str("    ");
                text.push_str(frame.trim());
            }
            text
        }
        CaughtError::Value(value) => format!("the migration threw {}", value_text(&value)),
        CaughtError::Error(error) => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use rquickjs::CatchResultExt;

    use super::*;

    #[test]
    fn locations_of_frames() {
        assert_eq!(location("    at up (/m/001-x.js:12:5)"), Some("/m/001-x.js:12:5"));
        assert_eq!(location("    at /m/001-x.js:3:1"), Some("/m/001-x.js:3:1"));
        assert_eq!(location("no frame"), None);
        assert!(is_prelude_frame("    at insertOne (mongrate:driver:400:7)"));
    }

    fn first_line_of_thrown(script: &str) -> String {
        let runtime = rquickjs::Runtime::new().expect("runtime");
        let context = rquickjs::Context::full(&runtime).expect("context");
        context.with(|ctx| {
            let caught = ctx.eval::<(), _>(script).catch(&ctx).expect_err("the script throws");
            describe(caught).lines().next().unwrap_or_default().to_owned()
        })
    }

    #[test]
    fn server_errors_show_the_code_name_and_number() {
        assert_eq!(
            first_line_of_thrown("const e = new Error('E11000 duplicate key'); e.code = 11000; throw e;"),
            "Error: DuplicateKey (11000): E11000 duplicate key"
        );
        assert_eq!(
            first_line_of_thrown(
                "const e = new TypeError('index not found'); e.code = 27; e.codeName = 'IndexNotFound'; throw e;"
            ),
            "TypeError: IndexNotFound (27): index not found"
        );
        assert_eq!(first_line_of_thrown("const e = new Error('gone'); e.code = 'ENOENT'; throw e;"), "Error: gone");
        assert_eq!(first_line_of_thrown("const e = new Error('half'); e.code = 1.5; throw e;"), "Error: half");
    }
}
