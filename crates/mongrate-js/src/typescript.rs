//! TypeScript migrations without Node or `tsc`: a `.ts`, `.mts` or `.cts` file is parsed with
//! oxc's TypeScript parser and its type syntax (annotations, interfaces, type aliases,
//! `import type`, `as`/`satisfies`/`!`, generics, `declare`, access modifiers, `implements`,
//! overloads) is overwritten with spaces. Every token left keeps its line and column, so a
//! JavaScript error or stack trace points into the `.ts` file as written, with no source map.
//! Types are not checked: a type error runs.
//!
//! The few constructs that make code are rewritten on the lines they stand on: an `enum` becomes
//! the object tsc makes (`var E; (function (E) { … })(E || (E = {}));`), a constructor's
//! parameter properties become `this.x = x;` at the top of its body, `import x = require('m')`
//! becomes `const x = require('m')` and `export = x` `module.exports = x`. An import whose names
//! are only used as types is dropped, as tsc drops it (the module it names may export only
//! types). What cannot be supported (decorators, namespaces holding values) is refused with its
//! line, column and what to write instead.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_ast_visit::{Visit, walk};
use oxc_parser::{ParseOptions, Parser};
use oxc_span::{GetSpan, SourceType, Span};

/// Whether mongrate reads the file as TypeScript: `.ts`, `.mts`, `.cts`.
pub fn is_typescript(path: &Path) -> bool {
    extension(path).is_some_and(|e| matches!(e.as_str(), "ts" | "mts" | "cts"))
}

/// A file's extension in lower case (discovery reads `.TS` as `.ts`).
fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// Why a TypeScript file cannot run, and where (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeScriptError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl TypeScriptError {
    fn at(source: &str, offset: u32, message: String) -> TypeScriptError {
        let before = &source[..(offset as usize).min(source.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TypeScriptError {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            message,
        }
    }
}

impl fmt::Display for TypeScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// The JavaScript of the TypeScript file at `path` whose text is `source`: the same lines and
/// columns, the types blanked. A syntax error (oxc's) or a construct mongrate cannot run is an
/// error with its position.
pub fn strip_types(path: &Path, source: &str) -> Result<String, TypeScriptError> {
    let module = extension(path).is_some_and(|e| e == "mts");
    let allocator = Allocator::default();
    // `.ts` and `.cts` are modules when they import or export (as `.js` files are read); a
    // CommonJS file may `return` at its top level, as Node's wrapper allows.
    let source_type = if module { SourceType::ts().with_module(true) } else { SourceType::ts() };
    let options = ParseOptions { allow_return_outside_function: !module, ..ParseOptions::default() };
    let parsed = Parser::new(&allocator, source, source_type).with_options(options).parse();
    if let Some(error) = parsed.diagnostics.iter().find(|d| d.severity == oxc_diagnostics::Severity::Error) {
        let offset = error.labels.as_slice().first().map_or(0, |label| label.offset());
        let message = match &error.help {
            Some(help) => format!("{} ({help})", error.message),
            None => error.message.to_string(),
        };
        return Err(TypeScriptError::at(source, offset, message));
    }
    let mut stripper = Stripper::new(source);
    stripper.visit_program(&parsed.program);
    stripper.finish()
}

/// What a range of the source becomes.
#[derive(Debug)]
enum Fill {
    /// Spaces; line breaks stay.
    Blank,
    /// Spaces with this character first: a `;` ends the statement before a blanked one, which the
    /// next line would otherwise continue.
    Lead(char),
    /// Spaces with this character last: an arrow's `)` moved after its blanked return type, as no
    /// line break may come between `)` and `=>`.
    Trail(char),
    /// This text, which has as many line breaks as the range.
    Text(String),
}

#[derive(Debug)]
struct Edit {
    start: u32,
    end: u32,
    fill: Fill,
}

/// One name an `import` or `export { … }` brings, as written.
struct Specifier {
    span: Span,
    /// The local name (`b` in `import { a as b }`, `a` in `export { a as b }`).
    local: String,
    /// `type` before it.
    type_only: bool,
    /// Inside `{ … }` (not a default or namespace import).
    braced: bool,
}

/// An `import` or `export { … }` whose names are decided once the whole file is read.
struct Clause {
    statement: Span,
    specifiers: Vec<Specifier>,
    /// Export with `from`: dropped whole when nothing is left, as tsc drops it.
    is_import_or_reexport: bool,
    is_import: bool,
}

/// `import x = …`, kept only when `x` is used as a value.
struct ImportEquals {
    statement: Span,
    name: String,
}

/// Modifiers that only TypeScript knows; `static`, `async`, `get`, `set`, `accessor` stay.
const TYPE_MODIFIERS: &[&str] = &["public", "private", "protected", "readonly", "declare", "abstract", "override"];

/// Words that cannot name a local variable, so an enum member so named gets none.
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

struct Stripper<'s> {
    source: &'s str,
    edits: Vec<Edit>,
    /// The first construct mongrate cannot run.
    error: Option<TypeScriptError>,
    /// Names read as values somewhere (not only in types).
    value_names: HashSet<String>,
    /// Names bound as values (variables, functions, classes, enums, parameters).
    value_bindings: HashSet<String>,
    /// Names declared only as types in this file (interfaces, type aliases).
    type_names: HashSet<String>,
    clauses: Vec<Clause>,
    import_equals: Vec<ImportEquals>,
    /// For each class being walked, whether it extends another (parameter properties are
    /// assigned after its `super(…)` call).
    extends: Vec<bool>,
}

impl<'s> Stripper<'s> {
    fn new(source: &'s str) -> Self {
        Stripper {
            source,
            edits: Vec::new(),
            error: None,
            value_names: HashSet::new(),
            value_bindings: HashSet::new(),
            type_names: HashSet::new(),
            clauses: Vec::new(),
            import_equals: Vec::new(),
            extends: Vec::new(),
        }
    }

    fn blank(&mut self, start: u32, end: u32) {
        if start < end {
            self.edits.push(Edit { start, end, fill: Fill::Blank });
        }
    }

    /// Blanks a whole statement or class member, a `;` in its place.
    fn blank_statement(&mut self, span: Span) {
        self.edits.push(Edit { start: span.start, end: span.end, fill: Fill::Lead(';') });
    }

    fn replace(&mut self, start: u32, end: u32, text: String) {
        self.edits.push(Edit { start, end, fill: Fill::Text(text) });
    }

    fn refuse(&mut self, offset: u32, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(TypeScriptError::at(self.source, offset, message.into()));
        }
    }

    fn text(&self, start: u32, end: u32) -> &'s str {
        &self.source[start as usize..end as usize]
    }

    fn line_breaks(&self, start: u32, end: u32) -> usize {
        self.text(start, end).matches('\n').count()
    }

    /// Offset of the first character from `from` that is not white space or a comment.
    fn skip_trivia(&self, from: u32) -> u32 {
        let bytes = self.source.as_bytes();
        let mut i = from as usize;
        loop {
            while i < bytes.len() && (bytes[i] as char).is_ascii_whitespace() {
                i += 1;
            }
            if bytes[i..].starts_with(b"//") {
                i = self.source[i..].find('\n').map_or(bytes.len(), |n| i + n);
            } else if bytes[i..].starts_with(b"/*") {
                i = self.source[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            } else {
                return i as u32;
            }
        }
    }

    /// Blanks the TypeScript-only modifier words among the words in `start..end` (what comes
    /// before a member's or parameter's name).
    fn blank_modifiers(&mut self, start: u32, end: u32) {
        let bytes = self.source.as_bytes();
        let mut i = start;
        while i < end {
            i = self.skip_trivia(i);
            if i >= end {
                break;
            }
            let word_end = (i as usize..end as usize)
                .find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'$'))
                .map_or(end, |j| j as u32);
            if word_end == i {
                i += 1;
                continue;
            }
            if TYPE_MODIFIERS.contains(&self.text(i, word_end)) {
                self.blank(i, word_end);
            }
            i = word_end;
        }
    }

    /// Blanks the first `?` or `!` (optional, definite) in `start..end`, before any `:` or `=`.
    fn blank_mark(&mut self, start: u32, end: u32) {
        for (i, c) in self.text(start, end).char_indices() {
            match c {
                '?' | '!' => {
                    let at = start + i as u32;
                    self.blank(at, at + 1);
                    return;
                }
                ':' | '=' | '(' | '<' => return,
                _ => {}
            }
        }
    }

    /// Whether a statement or declaration only declares types (and so is blanked whole).
    fn is_type_only(&self, declaration: &Declaration<'_>) -> bool {
        match declaration {
            Declaration::TSTypeAliasDeclaration(_)
            | Declaration::TSInterfaceDeclaration(_)
            | Declaration::TSGlobalDeclaration(_) => true,
            Declaration::VariableDeclaration(d) => d.declare,
            Declaration::FunctionDeclaration(f) => f.declare || f.body.is_none(),
            Declaration::ClassDeclaration(c) => c.declare,
            Declaration::TSEnumDeclaration(e) => e.declare,
            Declaration::TSModuleDeclaration(m) => m.declare || !namespace_has_values(m),
            Declaration::TSImportEqualsDeclaration(i) => i.import_kind.is_type(),
        }
    }

    fn note_type_names(&mut self, declaration: &Declaration<'_>) {
        match declaration {
            Declaration::TSTypeAliasDeclaration(d) => {
                self.type_names.insert(d.id.name.as_str().to_owned());
            }
            Declaration::TSInterfaceDeclaration(d) => {
                self.type_names.insert(d.id.name.as_str().to_owned());
            }
            _ => {}
        }
    }

    fn import_declaration(&mut self, it: &ImportDeclaration<'_>) {
        if it.import_kind.is_type() {
            self.blank_statement(it.span);
            return;
        }
        let Some(specifiers) = &it.specifiers else { return };
        if specifiers.is_empty() {
            return;
        }
        let specifiers = specifiers
            .iter()
            .map(|specifier| match specifier {
                ImportDeclarationSpecifier::ImportSpecifier(s) => Specifier {
                    span: s.span,
                    local: s.local.name.as_str().to_owned(),
                    type_only: s.import_kind.is_type(),
                    braced: true,
                },
                ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                    Specifier { span: s.span, local: s.local.name.as_str().to_owned(), type_only: false, braced: false }
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                    Specifier { span: s.span, local: s.local.name.as_str().to_owned(), type_only: false, braced: false }
                }
            })
            .collect();
        self.clauses.push(Clause { statement: it.span, specifiers, is_import_or_reexport: true, is_import: true });
    }

    fn export_named(&mut self, it: &ExportNamedDeclaration<'_>) {
        if it.export_kind.is_type() {
            self.blank_statement(it.span);
            return;
        }
        if let Some(declaration) = &it.declaration {
            self.note_type_names(declaration);
            if self.is_type_only(declaration) {
                self.blank_statement(it.span);
                return;
            }
            if let Declaration::TSImportEqualsDeclaration(d) = declaration {
                self.refuse(
                    it.span.start,
                    format!(
                        "`export import {} = …` is not supported in a TypeScript migration; write `import {0} = …` and `export {{ {0} }}`",
                        d.id.name
                    ),
                );
                return;
            }
            self.visit_declaration(declaration);
            return;
        }
        for specifier in &it.specifiers {
            self.visit_export_specifier(specifier);
        }
        let specifiers = it
            .specifiers
            .iter()
            .map(|s| Specifier {
                span: s.span,
                local: s.local.name().as_str().to_owned(),
                type_only: s.export_kind.is_type(),
                braced: true,
            })
            .collect();
        self.clauses.push(Clause {
            statement: it.span,
            specifiers,
            is_import_or_reexport: it.source.is_some(),
            is_import: false,
        });
    }

    /// A namespace: blanked when it holds only types, refused when it holds values.
    fn module_declaration(&mut self, it: &TSModuleDeclaration<'_>) {
        if it.declare || !namespace_has_values(it) {
            self.blank_statement(it.span);
        } else {
            self.refuse(
                it.span.start,
                "a namespace holding values is not supported in a TypeScript migration (mongrate strips types and does not compile namespaces); use an object or a module of its own",
            );
        }
    }

    /// `enum E { A, B = 'b' }` as tsc writes it, each member on its own line:
    /// `var E; (function (E) { var A, B; E[E["A"] = A = 0] = "A"; E["B"] = B = 'b'; })(E || (E = {}));`
    fn rewrite_enum(&mut self, it: &TSEnumDeclaration<'_>) {
        let name = it.id.name.as_str();
        self.value_bindings.insert(name.to_owned());
        let mut keys = Vec::new();
        for member in &it.body.members {
            let key = match &member.id {
                TSEnumMemberName::Identifier(id) => id.name.as_str().to_owned(),
                TSEnumMemberName::String(s) | TSEnumMemberName::ComputedString(s) => s.value.as_str().to_owned(),
                TSEnumMemberName::ComputedTemplateString(t) => {
                    match (t.expressions.is_empty(), t.quasis.first().and_then(|q| q.value.cooked)) {
                        (true, Some(cooked)) => cooked.as_str().to_owned(),
                        _ => {
                            self.refuse(member.span.start, "an enum member's name must be a constant string");
                            return;
                        }
                    }
                }
            };
            let local = matches!(member.id, TSEnumMemberName::Identifier(_))
                && key != name
                && !RESERVED.contains(&key.as_str());
            keys.push((key, local));
        }
        let locals: Vec<&str> = keys.iter().filter(|(_, local)| *local).map(|(key, _)| key.as_str()).collect();
        let mut pending = format!("var {name}; (function ({name}) {{");
        if !locals.is_empty() {
            pending.push_str(&format!(" var {};", locals.join(", ")));
        }
        let mut cursor = it.span.start;
        let mut previous: Option<String> = None;
        for (member, (key, local)) in it.body.members.iter().zip(&keys) {
            let quoted = serde_json::to_string(key).unwrap_or_else(|_| "\"\"".to_owned());
            // Members read each other by bare name (`B = A << 1`), as in tsc's output.
            let alias = if *local { format!("{key} = ") } else { String::new() };
            let access = format!("{name}[{quoted}]");
            match &member.initializer {
                Some(init) => {
                    let string = matches!(
                        init.without_parentheses(),
                        Expression::StringLiteral(_) | Expression::TemplateLiteral(_)
                    );
                    let (opening, closing) = if string {
                        (format!("{access} = {alias}"), ";".to_owned())
                    } else {
                        (format!("{name}[{access} = {alias}"), format!("] = {quoted};"))
                    };
                    let breaks = "\n".repeat(self.line_breaks(cursor, init.span().start));
                    self.replace(cursor, init.span().start, format!("{pending}{breaks} {opening}"));
                    self.visit_expression(init);
                    pending = closing;
                    cursor = init.span().end;
                }
                None => {
                    let value = previous.map_or_else(|| "0".to_owned(), |p| format!("{p} + 1"));
                    let breaks = "\n".repeat(self.line_breaks(cursor, member.span.end));
                    self.replace(
                        cursor,
                        member.span.end,
                        format!("{pending}{breaks} {name}[{access} = {alias}{value}] = {quoted};"),
                    );
                    pending = String::new();
                    cursor = member.span.end;
                }
            }
            previous = Some(access);
        }
        let breaks = "\n".repeat(self.line_breaks(cursor, it.span.end));
        self.replace(cursor, it.span.end, format!("{pending}{breaks} }})({name} || ({name} = {{}}));"));
    }

    /// A class member that is only a type (abstract, `declare`, an overload, an index signature).
    fn member_is_type_only(element: &ClassElement<'_>) -> bool {
        match element {
            ClassElement::TSIndexSignature(_) => true,
            ClassElement::MethodDefinition(m) => {
                m.r#type == MethodDefinitionType::TSAbstractMethodDefinition || m.value.body.is_none()
            }
            ClassElement::PropertyDefinition(p) => {
                p.declare || p.r#type == PropertyDefinitionType::TSAbstractPropertyDefinition
            }
            ClassElement::AccessorProperty(a) => a.r#type == AccessorPropertyType::TSAbstractAccessorProperty,
            ClassElement::StaticBlock(_) => false,
        }
    }

    fn refuse_decorators(&mut self, decorators: &[Decorator<'_>]) -> bool {
        if let Some(decorator) = decorators.first() {
            self.refuse(
                decorator.span.start,
                format!(
                    "decorators are not supported in a TypeScript migration (mongrate strips types and does not compile decorators); remove `{}` and call it by hand",
                    self.text(decorator.span.start, decorator.span.end)
                ),
            );
            return true;
        }
        false
    }

    /// Parameter properties (`constructor(private db: Db)`): `this.db = db;` at the top of the
    /// body, after `super(…)` in a derived class.
    fn parameter_properties(&mut self, constructor: &Function<'_>) {
        let mut names = Vec::new();
        for param in &constructor.params.items {
            if param.accessibility.is_some() || param.readonly || param.r#override {
                match &param.pattern {
                    BindingPattern::BindingIdentifier(id) => names.push(id.name.as_str().to_owned()),
                    _ => {
                        self.refuse(param.span.start, "a parameter property must be a plain name");
                        return;
                    }
                }
            }
        }
        let Some(body) = &constructor.body else { return };
        if names.is_empty() {
            return;
        }
        let assignments: String = names.iter().map(|n| format!(" this.{n} = {n};")).collect();
        let derived = self.extends.last().copied().unwrap_or(false);
        let super_call = body.statements.iter().find(|statement| {
            matches!(statement, Statement::ExpressionStatement(e)
                if matches!(&e.expression, Expression::CallExpression(call) if matches!(call.callee, Expression::Super(_))))
        });
        match super_call {
            Some(statement) if derived => {
                let end = statement.span().end;
                self.replace(end, end, format!(";{assignments}"));
            }
            _ => {
                let at = body.span.start + 1;
                self.replace(at, at, assignments);
            }
        }
    }

    /// Decides the imports and exports once every use of every name is known, then writes out
    /// the source with the edits made.
    fn finish(mut self) -> Result<String, TypeScriptError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        for clause in std::mem::take(&mut self.clauses) {
            self.settle_clause(clause);
        }
        for import in std::mem::take(&mut self.import_equals) {
            if self.value_names.contains(&import.name) {
                let start = import.statement.start;
                self.replace(start, start + "import".len() as u32, "const ".to_owned());
            } else {
                self.blank_statement(import.statement);
            }
        }
        Ok(self.apply())
    }

    /// Drops what an `import` or `export { … }` names only as a type; the statement goes when
    /// nothing is left (an `export {}` stays: it keeps the file a module, as tsc writes it).
    fn settle_clause(&mut self, clause: Clause) {
        let keep: Vec<bool> = clause
            .specifiers
            .iter()
            .map(|s| {
                if s.type_only {
                    false
                } else if clause.is_import {
                    self.value_names.contains(&s.local)
                } else if clause.is_import_or_reexport {
                    true
                } else {
                    !self.type_names.contains(&s.local) || self.value_bindings.contains(&s.local)
                }
            })
            .collect();
        if keep.iter().all(|k| *k) {
            return;
        }
        let nothing_left = !keep.iter().any(|k| *k);
        if nothing_left && clause.is_import_or_reexport {
            self.blank_statement(clause.statement);
            return;
        }
        // The clause from its first name to its `}`, written again with what is kept.
        let (Some(first), Some(last)) = (clause.specifiers.first(), clause.specifiers.last()) else { return };
        let start = if first.braced {
            self.text(clause.statement.start, first.span.start)
                .rfind('{')
                .map_or(first.span.start, |i| clause.statement.start + i as u32)
        } else {
            first.span.start
        };
        let end = if last.braced {
            self.text(last.span.end, clause.statement.end)
                .find('}')
                .map_or(last.span.end, |i| last.span.end + i as u32 + 1)
        } else {
            last.span.end
        };
        let mut parts: Vec<String> = Vec::new();
        let mut braced: Vec<&str> = Vec::new();
        for (specifier, kept) in clause.specifiers.iter().zip(&keep) {
            if !kept {
                continue;
            }
            let text = self.text(specifier.span.start, specifier.span.end);
            if specifier.braced { braced.push(text) } else { parts.push(text.to_owned()) }
        }
        if !braced.is_empty() || (parts.is_empty() && clause.specifiers.iter().any(|s| s.braced)) {
            parts.push(format!("{{{}}}", braced.join(",")));
        }
        let breaks = "\n".repeat(self.line_breaks(start, end));
        self.replace(start, end, format!("{}{breaks}", parts.join(",")));
    }

    fn apply(mut self) -> String {
        // Insertions first at their offset, then the widest edit; an edit inside one already made
        // is left out.
        self.edits.sort_by_key(|e| (e.start, e.start != e.end, std::cmp::Reverse(e.end)));
        let mut out = String::with_capacity(self.source.len() + 64);
        let mut position = 0u32;
        for edit in &self.edits {
            if edit.start < position {
                if edit.end > position && matches!(edit.fill, Fill::Blank | Fill::Lead(_)) {
                    out.push_str(&blanked(self.text(position, edit.end)));
                    position = edit.end;
                }
                continue;
            }
            out.push_str(self.text(position, edit.start));
            let range = self.text(edit.start, edit.end);
            match &edit.fill {
                Fill::Blank => out.push_str(&blanked(range)),
                Fill::Lead(c) => {
                    let blank = blanked(range);
                    out.push(*c);
                    out.push_str(&blank[1.min(blank.len())..]);
                }
                Fill::Trail(c) => {
                    let blank = blanked(range);
                    out.push_str(&blank[..blank.len().saturating_sub(1)]);
                    out.push(*c);
                }
                Fill::Text(text) => out.push_str(text),
            }
            position = edit.end;
        }
        out.push_str(&self.source[position as usize..]);
        out
    }
}

/// One space for each character, line breaks kept.
fn blanked(text: &str) -> String {
    text.chars().map(|c| if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') { c } else { ' ' }).collect()
}

/// Whether a namespace declares anything that exists at run time (tsc emits only those).
fn namespace_has_values(it: &TSModuleDeclaration<'_>) -> bool {
    match &it.body {
        None => false,
        Some(TSModuleDeclarationBody::TSModuleDeclaration(inner)) => !inner.declare && namespace_has_values(inner),
        Some(TSModuleDeclarationBody::TSModuleBlock(block)) => block.body.iter().any(|statement| match statement {
            Statement::TSTypeAliasDeclaration(_)
            | Statement::TSInterfaceDeclaration(_)
            | Statement::EmptyStatement(_) => false,
            Statement::TSModuleDeclaration(inner) => !inner.declare && namespace_has_values(inner),
            Statement::ExportNamedDeclaration(export) => match &export.declaration {
                Some(Declaration::TSTypeAliasDeclaration(_) | Declaration::TSInterfaceDeclaration(_)) => false,
                Some(Declaration::TSModuleDeclaration(inner)) => !inner.declare && namespace_has_values(inner),
                _ => true,
            },
            _ => true,
        }),
    }
}

impl<'a> Visit<'a> for Stripper<'_> {
    fn visit_statement(&mut self, it: &Statement<'a>) {
        match it {
            Statement::TSTypeAliasDeclaration(d) => {
                self.type_names.insert(d.id.name.as_str().to_owned());
                self.blank_statement(d.span);
            }
            Statement::TSInterfaceDeclaration(d) => {
                self.type_names.insert(d.id.name.as_str().to_owned());
                self.blank_statement(d.span);
            }
            Statement::TSGlobalDeclaration(d) => self.blank_statement(d.span),
            Statement::TSNamespaceExportDeclaration(d) => self.blank_statement(d.span),
            Statement::VariableDeclaration(d) if d.declare => self.blank_statement(d.span),
            Statement::FunctionDeclaration(f) if f.declare || f.body.is_none() => self.blank_statement(f.span),
            Statement::ClassDeclaration(c) if c.declare => self.blank_statement(c.span),
            Statement::TSEnumDeclaration(e) if e.declare => self.blank_statement(e.span),
            Statement::TSModuleDeclaration(m) => self.module_declaration(m),
            Statement::ImportDeclaration(i) => self.import_declaration(i),
            Statement::ExportNamedDeclaration(e) => self.export_named(e),
            Statement::ExportAllDeclaration(e) if e.export_kind.is_type() => self.blank_statement(e.span),
            Statement::ExportDefaultDeclaration(e) => match &e.declaration {
                ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => self.blank_statement(e.span),
                ExportDefaultDeclarationKind::FunctionDeclaration(f) if f.body.is_none() => {
                    self.blank_statement(e.span)
                }
                _ => walk::walk_statement(self, it),
            },
            _ => walk::walk_statement(self, it),
        }
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.value_names.insert(it.name.as_str().to_owned());
    }

    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        self.value_bindings.insert(it.name.as_str().to_owned());
    }

    // Types are blanked and not walked: a name read only in a type is not a value's use.
    fn visit_ts_type(&mut self, _it: &TSType<'a>) {}

    fn visit_ts_type_annotation(&mut self, it: &TSTypeAnnotation<'a>) {
        self.blank(it.span.start, it.span.end);
    }

    fn visit_ts_type_parameter_declaration(&mut self, it: &TSTypeParameterDeclaration<'a>) {
        self.blank(it.span.start, it.span.end);
    }

    fn visit_ts_type_parameter_instantiation(&mut self, it: &TSTypeParameterInstantiation<'a>) {
        self.blank(it.span.start, it.span.end);
    }

    fn visit_ts_type_alias_declaration(&mut self, it: &TSTypeAliasDeclaration<'a>) {
        self.blank_statement(it.span);
    }

    fn visit_ts_interface_declaration(&mut self, it: &TSInterfaceDeclaration<'a>) {
        self.blank_statement(it.span);
    }

    fn visit_ts_class_implements(&mut self, _it: &TSClassImplements<'a>) {}

    fn visit_ts_index_signature(&mut self, it: &TSIndexSignature<'a>) {
        self.blank_statement(it.span);
    }

    fn visit_ts_module_declaration(&mut self, it: &TSModuleDeclaration<'a>) {
        self.module_declaration(it);
    }

    fn visit_ts_global_declaration(&mut self, it: &TSGlobalDeclaration<'a>) {
        self.blank_statement(it.span);
    }

    fn visit_ts_enum_declaration(&mut self, it: &TSEnumDeclaration<'a>) {
        if it.declare {
            self.blank_statement(it.span);
        } else {
            self.rewrite_enum(it);
        }
    }

    fn visit_ts_import_equals_declaration(&mut self, it: &TSImportEqualsDeclaration<'a>) {
        if it.import_kind.is_type() {
            self.blank_statement(it.span);
            return;
        }
        if let TSModuleReference::IdentifierReference(id) = &it.module_reference {
            self.visit_identifier_reference(id);
        }
        if let TSModuleReference::QualifiedName(name) = &it.module_reference {
            let mut left = &name.left;
            while let TSTypeName::QualifiedName(inner) = left {
                left = &inner.left;
            }
            if let TSTypeName::IdentifierReference(id) = left {
                self.visit_identifier_reference(id);
            }
        }
        self.value_bindings.insert(it.id.name.as_str().to_owned());
        self.import_equals.push(ImportEquals { statement: it.span, name: it.id.name.as_str().to_owned() });
    }

    fn visit_ts_export_assignment(&mut self, it: &TSExportAssignment<'a>) {
        self.replace(it.span.start, it.expression.span().start, "module.exports = ".to_owned());
        self.visit_expression(&it.expression);
    }

    fn visit_ts_as_expression(&mut self, it: &TSAsExpression<'a>) {
        self.visit_expression(&it.expression);
        self.blank(it.expression.span().end, it.span.end);
    }

    fn visit_ts_satisfies_expression(&mut self, it: &TSSatisfiesExpression<'a>) {
        self.visit_expression(&it.expression);
        self.blank(it.expression.span().end, it.span.end);
    }

    fn visit_ts_type_assertion(&mut self, it: &TSTypeAssertion<'a>) {
        self.blank(it.span.start, it.expression.span().start);
        self.visit_expression(&it.expression);
    }

    fn visit_ts_non_null_expression(&mut self, it: &TSNonNullExpression<'a>) {
        self.visit_expression(&it.expression);
        self.blank(it.expression.span().end, it.span.end);
    }

    fn visit_ts_this_parameter(&mut self, it: &TSThisParameter<'a>) {
        // `this: T,` goes with its comma.
        let after = self.skip_trivia(it.span.end);
        let end = if self.source.as_bytes().get(after as usize) == Some(&b',') { after + 1 } else { it.span.end };
        self.blank(it.span.start, end);
    }

    fn visit_decorator(&mut self, it: &Decorator<'a>) {
        self.refuse_decorators(std::slice::from_ref(it));
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if it.definite {
            let end = it.type_annotation.as_ref().map_or(it.span.end, |a| a.span.start);
            self.blank_mark(it.id.span().end, end);
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_formal_parameter(&mut self, it: &FormalParameter<'a>) {
        if self.refuse_decorators(&it.decorators) {
            return;
        }
        if it.accessibility.is_some() || it.readonly || it.r#override {
            self.blank_modifiers(it.span.start, it.pattern.span().start);
        }
        if it.optional {
            let end = it
                .type_annotation
                .as_ref()
                .map(|a| a.span.start)
                .or_else(|| it.initializer.as_ref().map(|i| i.span().start))
                .unwrap_or(it.span.end);
            self.blank_mark(it.pattern.span().end, end);
        }
        walk::walk_formal_parameter(self, it);
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        if let Some(return_type) = &it.return_type {
            let close = it.params.span.end.saturating_sub(1);
            let moves = self.text(it.params.span.end, return_type.span.end).contains('\n')
                && self.source.as_bytes().get(close as usize) == Some(&b')');
            if moves {
                // No line break may stand between `)` and `=>`: the `)` moves to the end of the
                // blanked return type.
                self.edits.push(Edit { start: close, end: return_type.span.end, fill: Fill::Trail(')') });
                if let Some(type_parameters) = &it.type_parameters {
                    self.visit_ts_type_parameter_declaration(type_parameters);
                }
                self.visit_formal_parameters(&it.params);
                self.visit_function_body(&it.body);
                return;
            }
        }
        walk::walk_arrow_function_expression(self, it);
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        if self.refuse_decorators(&it.decorators) {
            return;
        }
        if it.r#abstract || it.declare {
            let keyword = it.id.as_ref().map_or(it.body.span.start, |id| id.span.start);
            self.blank_modifiers(it.span.start, keyword);
        }
        if let (Some(first), Some(last)) = (it.implements.first(), it.implements.last()) {
            let from = it
                .super_type_arguments
                .as_ref()
                .map(|a| a.span.end)
                .or_else(|| it.super_class.as_ref().map(|s| s.span().end))
                .or_else(|| it.type_parameters.as_ref().map(|t| t.span.end))
                .or_else(|| it.id.as_ref().map(|id| id.span.end))
                .unwrap_or(it.span.start);
            let keyword =
                self.text(from, first.span.start).rfind("implements").map_or(first.span.start, |i| from + i as u32);
            self.blank(keyword, last.span.end);
        }
        self.extends.push(it.super_class.is_some());
        walk::walk_class(self, it);
        self.extends.pop();
    }

    fn visit_class_element(&mut self, it: &ClassElement<'a>) {
        if Self::member_is_type_only(it) {
            self.blank_statement(it.span());
            return;
        }
        walk::walk_class_element(self, it);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        if self.refuse_decorators(&it.decorators) {
            return;
        }
        self.blank_modifiers(it.span.start, it.key.span().start);
        if it.optional {
            self.blank_mark(it.key.span().end, it.value.params.span.start);
        }
        if it.kind == MethodDefinitionKind::Constructor {
            self.parameter_properties(&it.value);
        }
        walk::walk_method_definition(self, it);
    }

    fn visit_property_definition(&mut self, it: &PropertyDefinition<'a>) {
        if self.refuse_decorators(&it.decorators) {
            return;
        }
        self.blank_modifiers(it.span.start, it.key.span().start);
        let key_end = it.key.span().end;
        if it.optional || it.definite {
            let end = it
                .type_annotation
                .as_ref()
                .map(|a| a.span.start)
                .or_else(|| it.value.as_ref().map(|v| v.span().start))
                .unwrap_or(it.span.end);
            self.blank_mark(key_end, end);
        }
        if let Some(annotation) = &it.type_annotation {
            // `x: number` without `;` before a line starting with `(` or `[` would run on.
            let ends_statement = it.value.is_none() && !self.text(it.span.start, it.span.end).ends_with(';');
            let fill = if ends_statement { Fill::Lead(';') } else { Fill::Blank };
            self.edits.push(Edit { start: annotation.span.start, end: annotation.span.end, fill });
        }
        self.visit_property_key(&it.key);
        if let Some(value) = &it.value {
            self.visit_expression(value);
        }
    }

    fn visit_accessor_property(&mut self, it: &AccessorProperty<'a>) {
        if self.refuse_decorators(&it.decorators) {
            return;
        }
        self.blank_modifiers(it.span.start, it.key.span().start);
        if it.definite {
            let end = it.type_annotation.as_ref().map_or(it.span.end, |a| a.span.start);
            self.blank_mark(it.key.span().end, end);
        }
        walk::walk_accessor_property(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(source: &str) -> String {
        strip_types(Path::new("m.ts"), source).unwrap_or_else(|e| panic!("{e}\n{source}"))
    }

    /// Every line keeps its number, and every character left keeps its column.
    fn assert_in_place(source: &str, out: &str) {
        assert_eq!(source.lines().count(), out.lines().count(), "line count\n{out}");
        for (line_in, line_out) in source.lines().zip(out.lines()) {
            for (index, (a, b)) in line_in.chars().zip(line_out.chars()).enumerate() {
                assert!(
                    b == ' ' || b == ';' || a == b,
                    "column {} changed: {line_in:?} became {line_out:?}",
                    index + 1
                );
            }
        }
    }

    /// Runs JavaScript in QuickJS and returns what its last expression gives, as JSON.
    fn run(javascript: &str) -> String {
        let runtime = rquickjs::Runtime::new().expect("runtime");
        let context = rquickjs::Context::full(&runtime).expect("context");
        context.with(|ctx| {
            let value: rquickjs::Value = ctx
                .eval(format!("{javascript}\n;JSON.stringify(result)"))
                .unwrap_or_else(|e| panic!("{e}: {:?}\n{javascript}", ctx.catch()));
            value.as_string().and_then(|s| s.to_string().ok()).unwrap_or_default()
        })
    }

    #[test]
    fn annotations_and_generics_become_spaces() {
        let source = "function pick<T extends object, K extends keyof T>(value: T, key: K): T[K] {\n  return value[key];\n}\nconst xs: Array<number> = [1, 2];\nlet n = pick<{ a: number }, 'a'>({ a: 1 }, 'a') as number;\nconst result = { n, xs, m: new Map<string, number>().size };\n";
        let out = strip(source);
        assert_in_place(source, &out);
        let header = format!("function pick{}(value   , key   ){} {{", " ".repeat(37), " ".repeat(6));
        assert!(out.starts_with(&header), "{out}");
        assert_eq!(run(&out), r#"{"n":1,"xs":[1,2],"m":0}"#);
    }

    #[test]
    fn type_declarations_and_type_imports_go() {
        let source = "import type { Db } from 'mongodb';\ninterface Migration {\n  version: number;\n  up(): Promise<void>;\n}\ntype Id = string | number;\ndeclare const injected: string;\ndeclare module 'x' { export const y: number; }\ndeclare global { interface Window { a: 1 } }\nnamespace Types { export type A = 1; }\nconst result: Migration | Id = 3;\n";
        let out = strip(source);
        assert_in_place(source, &out);
        assert!(!out.contains("interface") && !out.contains("type") && !out.contains("declare"), "{out}");
        assert_eq!(run(&out), "3");
    }

    #[test]
    fn casts_non_null_and_satisfies() {
        let source = "const a = { b: 2 } satisfies Record<string, number>;\nconst c = (a as any)!.b as unknown as number;\nconst d = <number>c;\nconst result = [c, d, a.b!];\n";
        let out = strip(source);
        assert_in_place(source, &out);
        assert_eq!(run(&out), "[2,2,2]");
    }

    #[test]
    fn classes_lose_modifiers_and_keep_parameter_properties() {
        let source = "interface Named { name: string }\nabstract class Base<T> implements Named {\n  abstract kind(): string;\n  declare extra: number;\n  public name: string = 'base';\n  protected static readonly count?: number;\n  private value!: T;\n  [key: string]: unknown;\n  constructor(public readonly label: string, private size = 2) {\n    this.value = undefined as unknown as T;\n  }\n  describe(this: Base<T>, suffix?: string): string { return `${this.label}:${this.size}:${suffix ?? ''}`; }\n  overload(a: string): void;\n  overload(a: any) {}\n}\nclass Child extends Base<number> implements Named, Iterable<number> {\n  constructor(override readonly label: string) {\n    super(label, 3)\n  }\n  kind() { return 'child'; }\n  *[Symbol.iterator](): Iterator<number> { yield 1; }\n}\nconst child = new Child('c');\nconst result = [child.describe('x'), child.kind(), child.label, child.name, [...child]];\n";
        let out = strip(source);
        assert_eq!(source.lines().count(), out.lines().count(), "{out}");
        assert_eq!(run(&out), r#"["c:3:x","child","c","base",[1]]"#);
    }

    #[test]
    fn enums_become_objects_on_their_own_lines() {
        let source = "enum Phase {\n  Expand,\n  Migrate = 5,\n  Contract,\n  Twice = Migrate * 2,\n}\nexport const enum Color { Red = 'red', Green = `green` }\nenum Empty {}\nconst result = [Phase.Expand, Phase.Migrate, Phase.Contract, Phase.Twice, Phase[5], Color.Green, Object.keys(Empty).length];\n";
        let out = strip(source);
        assert_eq!(source.lines().count(), out.lines().count(), "{out}");
        assert!(out.lines().nth(2).is_some_and(|l| l.contains("Migrate = 5")), "{out}");
        let runnable = out.replace("export const enum", "const enum").replace("export var", "var");
        assert_eq!(run(&runnable), r#"[0,5,6,10,"Migrate","green",0]"#);
    }

    #[test]
    fn imports_used_only_as_types_are_dropped() {
        let source = "import { Migration, helper } from './types';\nimport Default, { type Shape } from './shapes';\nimport * as everything from './all';\nimport { used } from './used';\nexport { type Shape };\ninterface Local {}\nexport { Local, helper };\nconst m: Migration = helper(used as Shape);\n";
        let out = strip(source);
        assert_eq!(source.lines().count(), out.lines().count(), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0].trim(), "import {helper} from './types';");
        assert_eq!(lines[1].trim(), ";");
        assert_eq!(lines[2].trim(), ";");
        assert_eq!(lines[3], "import { used } from './used';");
        assert_eq!(lines[4].trim(), "export {};");
        assert_eq!(lines[6].trim(), "export {helper};");
    }

    #[test]
    fn commonjs_forms() {
        let source = "import fs = require('fs');\nimport unused = require('unused');\nconst x: number = fs.x;\nexport = { x };\n";
        let out = strip(source);
        assert_eq!(out.lines().next(), Some("const  fs = require('fs');"));
        assert_eq!(out.lines().nth(1).map(str::trim), Some(";"));
        assert_eq!(out.lines().nth(3), Some("module.exports = { x };"));
    }

    #[test]
    fn multi_line_arrow_return_types_keep_the_arrow_valid() {
        let source = "const f = async (a: number): Promise<\n  number\n> => a + 1;\nconst g = <T,>(x: T): T => x;\nlet result;\nf(1).then((v) => { result = [v, g(2)]; });\n";
        let out = strip(source);
        assert_eq!(source.lines().count(), out.lines().count(), "{out}");
        assert!(out.lines().nth(2).is_some_and(|l| l.trim_start().starts_with(") =>")), "{out}");
        // Compiles (the promise settles after this script).
        run(&out);
    }

    #[test]
    fn a_statement_after_a_blanked_one_is_not_run_on() {
        let source = "let a = 1\ntype T = number\n(() => { a = 2; })()\nconst result = a;\n";
        let out = strip(source);
        assert_eq!(run(&out), "2");
    }

    #[test]
    fn type_errors_are_not_checked() {
        let source = "const n: number = 'text';\nconst result: boolean = n.length as any;\n";
        assert_eq!(run(&strip(source)), "4");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let error = strip_types(Path::new("m.ts"), "const a = 1;\nconst b: number = ;\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 19), "{error}");
        let error = strip_types(Path::new("m.ts"), "interface {\n").unwrap_err();
        assert_eq!(error.line, 1, "{error}");
    }

    #[test]
    fn unsupported_constructs_are_refused_with_what_to_do() {
        let error = strip_types(Path::new("m.ts"), "const a = 1;\n@sealed\nclass A {}\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 1));
        assert!(error.message.contains("decorators are not supported") && error.message.contains("@sealed"), "{error}");
        let error = strip_types(Path::new("m.ts"), "namespace N {\n  export const x = 1;\n}\n").unwrap_err();
        assert_eq!((error.line, error.column), (1, 1));
        assert!(error.message.contains("namespace"), "{error}");
    }

    #[test]
    fn module_kinds_follow_the_extension() {
        // `.cts` and `.ts` without import/export may return at the top level, as CommonJS does.
        assert!(strip_types(Path::new("m.cts"), "if (1) return;\nmodule.exports = {};\n").is_ok());
        assert!(strip_types(Path::new("m.mts"), "if (1) return;\n").is_err());
        assert!(strip_types(Path::new("m.mts"), "await Promise.resolve(1);\n").is_ok());
        assert!(is_typescript(Path::new("a/b.mts")) && is_typescript(Path::new("B.TS")));
        assert!(!is_typescript(Path::new("a/b.js")) && !is_typescript(Path::new("a/ts")));
    }

    #[test]
    fn non_ascii_text_keeps_columns_in_characters() {
        let source = "const s: 'héllo' | 'wörld' = 'wörld'; const result = s;\n";
        let out = strip(source);
        assert_in_place(source, &out);
        assert_eq!(run(&out), "\"wörld\"");
    }
}
