//! Compiling a file's text as the body of a function (a CommonJS module, a built-in module) so
//! that stack positions and syntax errors are the file's own: the wrapper `(function (…) {` goes on
//! lines numbered before line 1, so the text's first line is line 1 at its own columns (with the
//! wrapper on line 1, a `require` there was reported 72 columns to the right).

use std::ffi::CString;

use rquickjs::{Ctx, FromJs, Function, Value, qjs};

/// The wrapper's lines: QuickJS reads a first line number of 0 as 1, so the wrapper takes two lines
/// and starts at -1.
const FIRST_LINE: i32 = -1;

/// Compiles `(function (parameters) { body })`, named `filename` in stacks.
pub fn eval_function<'js>(
    ctx: &Ctx<'js>,
    parameters: &str,
    body: &str,
    filename: &str,
    strict: bool,
) -> rquickjs::Result<Function<'js>> {
    let source = CString::new(format!("(function ({parameters}) {{\n\n{body}\n}})"))?;
    let length = source.as_bytes().len();
    let filename = CString::new(filename)?;
    let mut flags = qjs::JS_EVAL_TYPE_GLOBAL;
    if strict {
        flags |= qjs::JS_EVAL_FLAG_STRICT;
    }
    let mut options = qjs::JSEvalOptions {
        version: qjs::JS_EVAL_OPTIONS_VERSION as _,
        eval_flags: flags as _,
        filename: filename.as_ptr(),
        line_num: FIRST_LINE,
    };
    // SAFETY: the context is live for 'js; `source` is NUL-terminated and `length` excludes the
    // NUL, as JS_Eval2 requires; `options` and the strings it points to outlive the call. Only a
    // function expression is evaluated, so no code of the file runs (nothing can panic inside).
    let raw = unsafe { qjs::JS_Eval2(ctx.as_raw().as_ptr(), source.as_ptr(), length as _, &mut options) };
    // SAFETY: JS_Eval2 returned a value the caller owns; `Value` takes that ownership.
    let value = unsafe { Value::from_raw(ctx.clone(), raw) };
    if value.is_exception() {
        return Err(rquickjs::Error::Exception);
    }
    Function::from_js(ctx, value)
}

#[cfg(test)]
mod tests {
    use rquickjs::CatchResultExt;

    use super::*;

    fn with_context(check: impl FnOnce(&Ctx<'_>)) {
        let runtime = rquickjs::Runtime::new().expect("runtime");
        let context = rquickjs::Context::full(&runtime).expect("context");
        context.with(|ctx| check(&ctx));
    }

    #[test]
    fn a_throw_on_the_first_line_is_at_its_own_column() {
        with_context(|ctx| {
            let function = eval_function(ctx, "a, b", "throw new Error('x');\n", "/m/one.js", false).unwrap();
            let caught = function.call::<_, ()>((1, 2)).catch(ctx).expect_err("throws");
            let text = caught.to_string();
            // QuickJS places a `new` at the constructor's name: column 11 of the file's line.
            assert!(text.contains("/m/one.js:1:11)"), "{text}");
        });
    }

    #[test]
    fn later_lines_keep_their_numbers() {
        with_context(|ctx| {
            let function = eval_function(ctx, "", "const a = 1;\n\n  null.x;\n", "/m/three.js", false).unwrap();
            let text = function.call::<_, ()>(()).catch(ctx).expect_err("throws").to_string();
            assert!(text.contains("/m/three.js:3:"), "{text}");
        });
    }

    #[test]
    fn a_syntax_error_names_the_files_line() {
        with_context(|ctx| {
            let caught = eval_function(ctx, "", "let a = ;\n", "/m/bad.js", false).catch(ctx).expect_err("bad");
            let text = caught.to_string();
            assert!(text.contains("/m/bad.js:1:"), "{text}");
        });
    }
}
