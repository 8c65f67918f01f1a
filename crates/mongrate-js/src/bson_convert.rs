//! JavaScript values ↔ BSON, keeping every BSON type through a read and a write back.
//!
//! Reading follows the Node driver: Int32, Double and an Int64 that fits a double come to
//! JavaScript as numbers, a larger Int64 as a `Long`, the rest as the `mongodb` package's classes.
//! Writing a number follows it too (an integer in int32 range is an Int32, any other a Double),
//! except for a document that was read: it remembers, in a hidden `__bsontypes` property, which of
//! its numbers were Int64 or Double, so writing it back keeps their types (the Node driver turns a
//! whole Double or a small Int64 into an Int32).

use bson::oid::ObjectId;
use bson::raw::CString;
use bson::spec::BinarySubtype;
use bson::{Binary, Bson, DateTime, Decimal128, Document, JavaScriptCodeWithScope, Regex, Timestamp};
use mongrate_mongo::errors::describe_bson;
use rquickjs::{Array, Atom, Ctx, Function, Object, TypedArray, Value};

/// The hidden property of a read document or array naming its Int64 (`l`) and Double (`d`) numbers.
const TYPE_HINTS: &str = "__bsontypes";

/// Largest integer a double holds exactly.
const SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Whether a JavaScript number holds `number` exactly. `unsigned_abs`: the server may send
/// `i64::MIN`, whose `abs()` overflows.
fn is_safe_integer(number: i64) -> bool {
    number.unsigned_abs() <= SAFE_INTEGER.unsigned_abs()
}

/// Deepest nesting accepted (BSON allows 100 levels; a cycle would otherwise never end).
const MAX_DEPTH: usize = 150;

/// The constructors and property names conversions need, looked up once per call.
pub struct BsonClasses<'js> {
    date: Object<'js>,
    regexp: Object<'js>,
    prototypes: Object<'js>,
    /// `Object.prototype`: an object with it is a plain document, with no type to check.
    plain: Object<'js>,
    bsontype: Atom<'js>,
    hints: Atom<'js>,
}

impl<'js> BsonClasses<'js> {
    pub fn new(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        let globals = ctx.globals();
        let object: Object = globals.get("Object")?;
        Ok(BsonClasses {
            date: globals.get("Date")?,
            regexp: globals.get("RegExp")?,
            prototypes: globals.get::<_, Object>("__mongrate")?.get("prototypes")?,
            plain: object.get("prototype")?,
            bsontype: Atom::from_str(ctx.clone(), "_bsontype")?,
            hints: Atom::from_str(ctx.clone(), TYPE_HINTS)?,
        })
    }

    /// A bare object with the prototype of the prelude's class `name`.
    fn instance(&self, ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Object<'js>> {
        let prototype: Object = self.prototypes.get(name)?;
        Object::new_proto(ctx.clone(), Some(&prototype))
    }
}

/// A copy of a Uint8Array's bytes; `None` when its buffer is detached.
pub fn typed_bytes(array: &TypedArray<'_, u8>) -> Option<Vec<u8>> {
    let raw = array.as_raw()?;
    // SAFETY: the bytes are copied at once; no JavaScript runs while the borrowed slice lives.
    Some(unsafe { raw.as_ref() }.to_vec())
}

/// Where a value sits in what is being converted. Written out only in an error message: building
/// a path string for every field took a twentieth of a bulk write's CPU.
#[derive(Clone, Copy)]
pub enum FieldPath<'a> {
    Root,
    Key(&'a FieldPath<'a>, &'a str),
    Index(&'a FieldPath<'a>, usize),
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (parent, last): (&FieldPath, &dyn std::fmt::Display) = match self {
            FieldPath::Root => return Ok(()),
            FieldPath::Key(parent, key) => (parent, key),
            FieldPath::Index(parent, index) => (parent, index),
        };
        match parent {
            FieldPath::Root => write!(f, "{last}"),
            parent => write!(f, "{parent}.{last}"),
        }
    }
}

/// Why a value cannot be stored.
fn refuse(path: &FieldPath<'_>, why: impl std::fmt::Display) -> String {
    match path {
        FieldPath::Root => why.to_string(),
        path => format!("`{path}`: {why}"),
    }
}

/// A JavaScript number as the Node driver stores it.
pub fn number_to_bson(value: f64) -> Bson {
    if value.fract() == 0.0 && value >= i32::MIN as f64 && value <= i32::MAX as f64 && !is_negative_zero(value) {
        Bson::Int32(value as i32)
    } else {
        Bson::Double(value)
    }
}

fn is_negative_zero(value: f64) -> bool {
    value == 0.0 && value.is_sign_negative()
}

/// A JavaScript value as BSON. Functions and symbols have no BSON form: `None` (skipped in a
/// document, like the Node driver does).
pub fn to_bson<'js>(
    classes: &BsonClasses<'js>,
    value: &Value<'js>,
    path: &FieldPath<'_>,
    depth: usize,
) -> Result<Option<Bson>, String> {
    hinted_to_bson(classes, value, path, depth, None)
}

/// A number as the type its document remembers (`hint`), when it still can be.
fn hinted_number(number: f64, hint: Option<char>) -> Bson {
    match hint {
        Some('l') if number.fract() == 0.0 && number.abs() <= SAFE_INTEGER as f64 => Bson::Int64(number as i64),
        Some('d') => Bson::Double(number),
        _ => number_to_bson(number),
    }
}

/// The hints of a read document or array, if it has them.
fn hints_of<'js>(classes: &BsonClasses<'js>, object: &Object<'js>) -> Option<Object<'js>> {
    object.get::<_, Option<Object>>(classes.hints.clone()).ok().flatten()
}

fn hint_for(hints: Option<&Object<'_>>, key: &str) -> Option<char> {
    hints.and_then(|h| h.get::<_, Option<String>>(key).ok().flatten()).and_then(|t| t.chars().next())
}

fn hinted_to_bson<'js>(
    classes: &BsonClasses<'js>,
    value: &Value<'js>,
    path: &FieldPath<'_>,
    depth: usize,
    hint: Option<char>,
) -> Result<Option<Bson>, String> {
    if depth > MAX_DEPTH {
        return Err(refuse(path, "nested too deeply (a cycle?)"));
    }
    if let Some(number) = value.as_int() {
        return Ok(Some(hinted_number(number as f64, hint)));
    }
    if let Some(number) = value.as_float() {
        return Ok(Some(hinted_number(number, hint)));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Some(Bson::Boolean(flag)));
    }
    if value.is_null() || value.is_undefined() {
        return Ok(Some(Bson::Null));
    }
    if let Some(text) = value.as_string() {
        return text.to_string().map(|t| Some(Bson::String(t))).map_err(|e| refuse(path, e));
    }
    if value.is_big_int() {
        let big = value.clone().into_big_int().ok_or_else(|| refuse(path, "not a BigInt"))?;
        return big.to_i64().map(|v| Some(Bson::Int64(v))).map_err(|_| refuse(path, "a BigInt beyond 64 bits"));
    }
    if value.is_function() || value.is_symbol() {
        return Ok(None);
    }
    if let Some(array) = value.as_array() {
        let hints = hints_of(classes, array.as_object());
        let mut items = Vec::with_capacity(array.len());
        for (index, item) in array.iter::<Value>().enumerate() {
            let item = item.map_err(|e| refuse(path, e))?;
            let hint = hints.as_ref().and_then(|hints| hint_for(Some(hints), &index.to_string()));
            let converted = hinted_to_bson(classes, &item, &FieldPath::Index(path, index), depth + 1, hint)?;
            items.push(converted.unwrap_or(Bson::Null));
        }
        return Ok(Some(Bson::Array(items)));
    }
    let Some(object) = value.as_object() else {
        return Err(refuse(path, format!("a {} cannot be stored", value.type_name())));
    };
    // Most values are plain objects: a document, with no class to look for.
    if object.get_prototype().as_ref() == Some(&classes.plain) {
        return document_from_object(classes, object, path, depth).map(|d| Some(Bson::Document(d)));
    }
    if object.is_instance_of(&classes.date) {
        let time: Function = object.get("getTime").map_err(|e| refuse(path, e))?;
        let millis: f64 = time.call((rquickjs::function::This(object.clone()),)).map_err(|e| refuse(path, e))?;
        if !millis.is_finite() {
            return Err(refuse(path, "an invalid Date"));
        }
        return Ok(Some(Bson::DateTime(DateTime::from_millis(millis as i64))));
    }
    if object.is_instance_of(&classes.regexp) {
        let source: String = object.get("source").map_err(|e| refuse(path, e))?;
        let flags: String = object.get("flags").map_err(|e| refuse(path, e))?;
        return regex(&source, &regexp_options(&flags))
            .map(|r| Some(Bson::RegularExpression(r)))
            .map_err(|e| refuse(path, e));
    }
    if let Ok(array) = TypedArray::<u8>::from_object(object.clone()) {
        let bytes = typed_bytes(&array).ok_or_else(|| refuse(path, "a detached Uint8Array"))?;
        return Ok(Some(Bson::Binary(Binary { subtype: BinarySubtype::Generic, bytes })));
    }
    let tag: Value = object.get(classes.bsontype.clone()).map_err(|e| refuse(path, e))?;
    if let Some(tag) = tag.as_string() {
        let tag = tag.to_string().map_err(|e| refuse(path, e))?;
        return tagged_to_bson(classes, object, &tag, path, depth).map(Some);
    }
    document_from_object(classes, object, path, depth).map(|d| Some(Bson::Document(d)))
}

/// A plain object as a document, keys in their order.
pub fn document_from_object<'js>(
    classes: &BsonClasses<'js>,
    object: &Object<'js>,
    path: &FieldPath<'_>,
    depth: usize,
) -> Result<Document, String> {
    let hints = hints_of(classes, object);
    let mut document = Document::new();
    for entry in object.props::<String, Value>() {
        let (key, value) = entry.map_err(|e| refuse(path, e))?;
        let hint = hint_for(hints.as_ref(), &key);
        if let Some(converted) = hinted_to_bson(classes, &value, &FieldPath::Key(path, &key), depth + 1, hint)? {
            document.insert(key, converted);
        }
    }
    Ok(document)
}

/// A JavaScript value that must be a document (a filter, an update, a command).
pub fn to_document<'js>(classes: &BsonClasses<'js>, value: &Value<'js>, what: &str) -> Result<Document, String> {
    match to_bson(classes, value, &FieldPath::Root, 0)? {
        Some(Bson::Document(document)) => Ok(document),
        _ => Err(format!("{what} must be an object, not {}", value.type_name())),
    }
}

/// A JavaScript RegExp's flags as BSON options: js-bson writes `g` as `s`, so the Node driver
/// stores `/x/g` as options "s"; the rest map to themselves.
fn regexp_options(flags: &str) -> String {
    let mut options: Vec<char> = flags
        .chars()
        .filter_map(|flag| match flag {
            'i' | 'm' | 's' | 'u' => Some(flag),
            'g' => Some('s'),
            _ => None,
        })
        .collect();
    options.sort_unstable();
    options.dedup();
    options.into_iter().collect()
}

fn regex(pattern: &str, options: &str) -> Result<Regex, String> {
    let pattern = CString::try_from(pattern).map_err(|e| format!("a regular expression: {}", describe_bson(&e)))?;
    let mut sorted: Vec<char> = options.chars().collect();
    sorted.sort_unstable();
    let options = CString::try_from(sorted.into_iter().collect::<String>()).map_err(|e| describe_bson(&e))?;
    Ok(Regex { pattern, options })
}

fn number_field(object: &Object<'_>, field: &str, path: &FieldPath<'_>) -> Result<f64, String> {
    let value: Value = object.get(field).map_err(|e| refuse(path, e))?;
    value.as_number().ok_or_else(|| refuse(path, format!("its `{field}` is not a number")))
}

fn bytes_field(object: &Object<'_>, field: &str, path: &FieldPath<'_>) -> Result<Vec<u8>, String> {
    let value: Object = object.get(field).map_err(|e| refuse(path, format!("its `{field}`: {e}")))?;
    let array = TypedArray::<u8>::from_object(value).map_err(|e| refuse(path, format!("its `{field}`: {e}")))?;
    typed_bytes(&array).ok_or_else(|| refuse(path, format!("its `{field}` is detached")))
}

/// One of the prelude's BSON classes (they carry `_bsontype`, as the `bson` package's do).
fn tagged_to_bson<'js>(
    classes: &BsonClasses<'js>,
    object: &Object<'js>,
    tag: &str,
    path: &FieldPath<'_>,
    depth: usize,
) -> Result<Bson, String> {
    match tag {
        "ObjectId" | "ObjectID" => {
            let hex: String = object.get("__id").map_err(|e| refuse(path, e))?;
            ObjectId::parse_str(&hex).map(Bson::ObjectId).map_err(|e| refuse(path, describe_bson(&e)))
        }
        "Long" => {
            let low = number_field(object, "low", path)? as i64 as u32;
            let high = number_field(object, "high", path)? as i64 as u32;
            Ok(Bson::Int64((((high as u64) << 32) | low as u64) as i64))
        }
        "Int32" => Ok(Bson::Int32(number_field(object, "value", path)? as i32)),
        "Double" => Ok(Bson::Double(number_field(object, "value", path)?)),
        "Decimal128" => {
            let bytes = bytes_field(object, "bytes", path)?;
            let bytes: [u8; 16] = bytes.try_into().map_err(|_| refuse(path, "a Decimal128 needs 16 bytes"))?;
            Ok(Bson::Decimal128(Decimal128::from_bytes(bytes)))
        }
        "Binary" => {
            let bytes = bytes_field(object, "buffer", path)?;
            let subtype = number_field(object, "sub_type", path)? as u8;
            Ok(Bson::Binary(Binary { subtype: BinarySubtype::from(subtype), bytes }))
        }
        "Timestamp" => {
            let increment = number_field(object, "low", path)? as i64 as u32;
            let time = number_field(object, "high", path)? as i64 as u32;
            Ok(Bson::Timestamp(Timestamp { time, increment }))
        }
        "BSONRegExp" => {
            let pattern: String = object.get("pattern").map_err(|e| refuse(path, e))?;
            let options: String = object.get("options").map_err(|e| refuse(path, e))?;
            regex(&pattern, &options).map(Bson::RegularExpression).map_err(|e| refuse(path, e))
        }
        "MinKey" => Ok(Bson::MinKey),
        "MaxKey" => Ok(Bson::MaxKey),
        "Code" => {
            let code: String = object.get("code").map_err(|e| refuse(path, e))?;
            let scope: Value = object.get("scope").map_err(|e| refuse(path, e))?;
            if scope.is_null() || scope.is_undefined() {
                return Ok(Bson::JavaScriptCode(code));
            }
            let scope = to_document(classes, &scope, "a Code scope").map_err(|e| refuse(path, e))?;
            Ok(Bson::JavaScriptCodeWithScope(JavaScriptCodeWithScope { code, scope }))
        }
        "BSONSymbol" => {
            let value: String = object.get("value").map_err(|e| refuse(path, e))?;
            Ok(Bson::Symbol(value))
        }
        other => {
            // An object of another library that happens to carry a `_bsontype`: store its fields.
            let _ = other;
            document_from_object(classes, object, path, depth).map(Bson::Document)
        }
    }
}

/// BSON as a JavaScript value.
///
/// `promote` gives every number as a JavaScript number, as the Node driver does for command
/// replies (whose `ok: 1.0` a migration compares with `=== 1`).
pub fn to_js<'js>(
    ctx: &Ctx<'js>,
    classes: &BsonClasses<'js>,
    value: &Bson,
    promote: bool,
) -> rquickjs::Result<Value<'js>> {
    Ok(match value {
        Bson::Double(number) => Value::new_number(ctx.clone(), *number),
        Bson::Int32(number) => Value::new_int(ctx.clone(), *number),
        Bson::Int64(number) if promote || is_safe_integer(*number) => Value::new_number(ctx.clone(), *number as f64),
        Bson::Int64(number) => {
            let long = classes.instance(ctx, "Long")?;
            long.set("low", *number as i32)?;
            long.set("high", (*number >> 32) as i32)?;
            long.set("unsigned", false)?;
            long.into_value()
        }
        Bson::String(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        Bson::Boolean(flag) => Value::new_bool(ctx.clone(), *flag),
        Bson::Null => Value::new_null(ctx.clone()),
        Bson::Undefined => Value::new_undefined(ctx.clone()),
        Bson::Document(document) => document_to_js(ctx, classes, document, promote)?.into_value(),
        Bson::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                array.set(index, to_js(ctx, classes, item, promote)?)?;
            }
            if !promote {
                remember_types(ctx, array.as_object(), items.iter().enumerate().map(|(i, v)| (i.to_string(), v)))?;
            }
            array.into_value()
        }
        Bson::ObjectId(id) => {
            let object = classes.instance(ctx, "ObjectId")?;
            object.set("__id", id.to_hex())?;
            object.into_value()
        }
        Bson::DateTime(at) => {
            let date: rquickjs::function::Constructor = classes.date.clone().into_value().get()?;
            date.construct((at.timestamp_millis() as f64,))?
        }
        Bson::RegularExpression(regex) => {
            let options = regex.options.as_str();
            // A native RegExp when JavaScript has every option, as the Node driver returns.
            if options.chars().all(|o| matches!(o, 'i' | 'm' | 's' | 'u')) {
                let constructor: rquickjs::function::Constructor = classes.regexp.clone().into_value().get()?;
                match constructor.construct::<_, Value>((regex.pattern.as_str(), options)) {
                    Ok(native) => return Ok(native),
                    Err(rquickjs::Error::Exception) => {
                        ctx.catch();
                    }
                    Err(other) => return Err(other),
                }
            }
            let object = classes.instance(ctx, "BSONRegExp")?;
            object.set("pattern", regex.pattern.as_str())?;
            object.set("options", options)?;
            object.into_value()
        }
        Bson::Timestamp(timestamp) => {
            let object = classes.instance(ctx, "Timestamp")?;
            object.set("low", timestamp.increment as f64)?;
            object.set("high", timestamp.time as f64)?;
            object.set("unsigned", true)?;
            object.into_value()
        }
        Bson::Binary(binary) => {
            let object = classes.instance(ctx, "Binary")?;
            object.set("buffer", TypedArray::<u8>::new_copy(ctx.clone(), &binary.bytes)?)?;
            object.set("sub_type", u8::from(binary.subtype) as i32)?;
            object.set("position", binary.bytes.len() as f64)?;
            object.into_value()
        }
        Bson::Decimal128(decimal) => {
            let object = classes.instance(ctx, "Decimal128")?;
            object.set("bytes", TypedArray::<u8>::new_copy(ctx.clone(), decimal.bytes())?)?;
            object.into_value()
        }
        Bson::MinKey => classes.instance(ctx, "MinKey")?.into_value(),
        Bson::MaxKey => classes.instance(ctx, "MaxKey")?.into_value(),
        Bson::JavaScriptCode(code) => {
            let object = classes.instance(ctx, "Code")?;
            object.set("code", code.as_str())?;
            object.set("scope", Value::new_null(ctx.clone()))?;
            object.into_value()
        }
        Bson::JavaScriptCodeWithScope(code) => {
            let object = classes.instance(ctx, "Code")?;
            object.set("code", code.code.as_str())?;
            object.set("scope", document_to_js(ctx, classes, &code.scope, promote)?)?;
            object.into_value()
        }
        Bson::Symbol(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        Bson::DbPointer(_) => Value::new_null(ctx.clone()),
    })
}

/// A document as a plain object.
pub fn document_to_js<'js>(
    ctx: &Ctx<'js>,
    classes: &BsonClasses<'js>,
    document: &Document,
    promote: bool,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    for (key, value) in document {
        object.set(key.as_str(), to_js(ctx, classes, value, promote)?)?;
    }
    if !promote {
        remember_types(ctx, &object, document.iter().map(|(k, v)| (k.clone(), v)))?;
    }
    Ok(object)
}

/// Records which numbers of a read document were Int64 or Double (they read as plain numbers).
fn remember_types<'js, 'b>(
    ctx: &Ctx<'js>,
    object: &Object<'js>,
    fields: impl Iterator<Item = (String, &'b Bson)>,
) -> rquickjs::Result<()> {
    let mut hints: Option<Object> = None;
    for (key, value) in fields {
        let hint = match value {
            Bson::Int64(n) if is_safe_integer(*n) => "l",
            Bson::Double(_) => "d",
            _ => continue,
        };
        if hints.is_none() {
            hints = Some(Object::new(ctx.clone())?);
        }
        if let Some(hints) = &hints {
            hints.set(key, hint)?;
        }
    }
    if let Some(hints) = hints {
        // Not enumerable: invisible to Object.keys, spreading and JSON.
        object.prop(TYPE_HINTS, rquickjs::object::Property::from(hints))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;

    use bson::doc;
    use rquickjs::CatchResultExt;

    use super::*;
    use crate::console::StderrConsole;
    use crate::host::{install_prelude, new_runtime};
    use crate::host_state::HostState;

    /// Evaluates `script` (which returns a value) in a context with the prelude and hands the value
    /// to `examine`.
    fn with_script_value<R>(
        script: &str,
        examine: impl for<'js> FnOnce(&Ctx<'js>, &BsonClasses<'js>, Value<'js>) -> R,
    ) -> R {
        let tokio = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        tokio.block_on(async {
            let (_runtime, context) = new_runtime(|| false).await.unwrap();
            let state = Rc::new(HostState::new(None, None, false, Arc::new(StderrConsole), "test.js".into()));
            context
                .with(|ctx| {
                    install_prelude(&ctx, &state).catch(&ctx).unwrap();
                    let value: Value = ctx.eval(script).catch(&ctx).unwrap();
                    let classes = BsonClasses::new(&ctx).unwrap();
                    examine(&ctx, &classes, value)
                })
                .await
        })
    }

    /// Converts what `script` returns to BSON, back to JavaScript, and has `check` (a function of
    /// the round-tripped value returning a string, empty when fine) judge it there.
    fn round_trip(script: &str, check: &str) -> Bson {
        with_script_value(script, |ctx, classes, value| {
            let bson = to_bson(classes, &value, &FieldPath::Root, 0).unwrap().unwrap();
            let back = to_js(ctx, classes, &bson, false).unwrap();
            let judge: Function = ctx.eval(check).catch(ctx).unwrap();
            let verdict: String = judge.call((back,)).catch(ctx).unwrap();
            assert_eq!(verdict, "", "{script}");
            bson
        })
    }

    /// Converts what `script` returns; the error when it cannot be stored.
    fn conversion_error(script: &str) -> String {
        with_script_value(script, |_, classes, value| to_document(classes, &value, "a filter").unwrap_err())
    }

    #[test]
    fn an_unstorable_value_is_named_by_its_path() {
        assert_eq!(conversion_error("({ a: { b: [1, new Date(NaN)] } })"), "`a.b.1`: an invalid Date");
        assert_eq!(conversion_error("({ top: new Date(NaN) })"), "`top`: an invalid Date");
        assert_eq!(conversion_error("5"), "a filter must be an object, not int");
    }

    #[test]
    fn every_type_round_trips() {
        let bson = round_trip(
            r#"(() => { const m = globalThis.__mongrate.mongodbModule; return {
                oid: new m.ObjectId('65a1b2c3d4e5f60718293a4b'),
                date: new Date('2024-01-02T03:04:05.678Z'),
                long: m.Long.fromString('9007199254740993'),
                small_long: m.Long.fromNumber(5),
                int: new m.Int32(7), double: new m.Double(5), frac: 2.5, plain: 3, big: 12n,
                dec: m.Decimal128.fromString('1234.5678'),
                bin: new m.Binary(new Uint8Array([1, 2, 255]), 0),
                uuid: new m.UUID('0123456789abcdef0123456789abcdef'),
                ts: new m.Timestamp({ t: 1700000000, i: 3 }),
                re: /ab+c/i, bre: new m.BSONRegExp('a b', 'x'),
                min: new m.MinKey(), max: new m.MaxKey(), code: new m.Code('x => x'),
                nothing: null, missing: undefined, nested: { list: [1, 'two', { three: 3.5 }] },
            }; })()"#,
            r#"(v) => { const m = globalThis.__mongrate.mongodbModule; const bad = [];
                if (!(v.oid instanceof m.ObjectId) || v.oid.toHexString() !== '65a1b2c3d4e5f60718293a4b') bad.push('oid');
                if (!(v.date instanceof Date) || v.date.toISOString() !== '2024-01-02T03:04:05.678Z') bad.push('date');
                if (!(v.long instanceof m.Long) || v.long.toString() !== '9007199254740993') bad.push('long');
                if (v.small_long !== 5 || v.double !== 5 || v.int !== 7 || v.frac !== 2.5) bad.push('numbers');
                if (v.dec.toString() !== '1234.5678') bad.push('decimal ' + v.dec.toString());
                if (v.bin.sub_type !== 0 || v.bin.length() !== 3) bad.push('binary');
                if (v.uuid.sub_type !== 4 || v.uuid.toUUID().toHexString(false) !== '0123456789abcdef0123456789abcdef') bad.push('uuid');
                if (v.ts.t !== 1700000000 || v.ts.i !== 3) bad.push('timestamp');
                if (!(v.re instanceof RegExp) || v.re.flags !== 'i') bad.push('regexp');
                if (v.bre._bsontype !== 'BSONRegExp' || v.bre.options !== 'x') bad.push('bsonregexp');
                if (v.nothing !== null || v.missing !== null) bad.push('null');
                if (v.nested.list[2].three !== 3.5) bad.push('nested');
                return bad.join(', '); }"#,
        );
        let document = bson.as_document().unwrap();
        assert_eq!(document.get("long"), Some(&Bson::Int64(9_007_199_254_740_993)));
        assert_eq!(document.get("small_long"), Some(&Bson::Int64(5)));
        assert_eq!(document.get("int"), Some(&Bson::Int32(7)));
        assert_eq!(document.get("double"), Some(&Bson::Double(5.0)));
        assert_eq!(document.get("plain"), Some(&Bson::Int32(3)));
        assert_eq!(document.get("big"), Some(&Bson::Int64(12)));
        assert_eq!(document.get("dec"), Some(&Bson::Decimal128("1234.5678".parse().unwrap())));
        assert_eq!(document.get("min"), Some(&Bson::MinKey));
        assert_eq!(document.get("code"), Some(&Bson::JavaScriptCode("x => x".into())));
        assert_eq!(document.get("missing"), Some(&Bson::Null), "undefined is stored as null, as the Node driver does");
        assert!(matches!(document.get("ts"), Some(Bson::Timestamp(Timestamp { time: 1_700_000_000, increment: 3 }))));
    }

    #[test]
    fn the_extreme_64_bit_integers_from_the_server_survive_a_round_trip() {
        // i64::MIN once overflowed `abs()` (a panic in a debug build, a lost digit in a release one).
        let read = doc! { "min": i64::MIN, "max": i64::MAX, "edge": -SAFE_INTEGER - 1 };
        let written = with_script_value("null", |ctx, classes, _| {
            let object = document_to_js(ctx, classes, &read, false).unwrap();
            to_document(classes, &object.into_value(), "doc").unwrap()
        });
        assert_eq!(written, read);
    }

    #[test]
    fn a_document_read_keeps_its_number_types_when_written_back() {
        let tokio = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        tokio.block_on(async {
            let (_runtime, context) = new_runtime(|| false).await.unwrap();
            let state = Rc::new(HostState::new(None, None, false, Arc::new(StderrConsole), "test.js".into()));
            context
                .with(|ctx| {
                    install_prelude(&ctx, &state).unwrap();
                    let classes = BsonClasses::new(&ctx).unwrap();
                    let read = doc! { "l": 5i64, "d": 5.0f64, "i": 5i32, "list": [1i64, 2.0f64] };
                    let object = document_to_js(&ctx, &classes, &read, false).unwrap();
                    ctx.globals().set("doc", object).unwrap();
                    let plain: bool = ctx.eval("doc.l === 5 && doc.d === 5 && Object.keys(doc).length === 4").unwrap();
                    assert!(plain, "numbers read as numbers, the type memory is not enumerable");
                    let same: Value = ctx.eval("doc.l = doc.l + 1; doc").unwrap();
                    let written = to_document(&classes, &same, "doc").unwrap();
                    assert_eq!(written, doc! { "l": 6i64, "d": 5.0f64, "i": 5i32, "list": [1i64, 2.0f64] });
                    let spread: Value = ctx.eval("({ ...doc })").unwrap();
                    let fresh = to_document(&classes, &spread, "copy").unwrap();
                    assert_eq!(
                        fresh.get("d"),
                        Some(&Bson::Int32(5)),
                        "a fresh object is written as the Node driver writes it"
                    );
                })
                .await
        });
    }
}
