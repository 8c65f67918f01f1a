//! TypeScript migrations (`.ts`, `.mts`, `.cts`): their types stripped in-process, no Node and no
//! tsc, run by the embedded engine on the MongoDB-wire test server.

use bson::{Bson, Document, doc};
use futures_util::TryStreamExt;

use crate::mongo_dump::{count, insert};
use crate::support::{Backend, Project, block_on};

fn project() -> Project {
    Project::new(Backend::Mongo)
}

fn find_all(db: &mongodb::Database, collection: &str) -> Vec<Document> {
    block_on(async {
        let cursor = db.collection::<Document>(collection).find(doc! {}).sort(doc! { "_id": 1 }).await.expect("find");
        cursor.try_collect().await.expect("documents")
    })
}

/// Writes a file of the project outside `migrations/` (a connection module, a helper).
fn write_project_file(project: &Project, path: &str, content: &str) {
    let path = project.path().join(path);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
    std::fs::write(path, content).expect("write");
}

/// Seed 004's connection module: the application's own `MongoDBConnection`, which opens a
/// `MongoClient` on a URL of its own.
const CONNECTION_MODULE: &str = r#"import { MongoClient, Db } from 'mongodb';

export class MongoDBConnection {
  private static client: MongoClient | null = null;
  private static db: Db | null = null;

  static async connect(uri: string = process.env.MONGODB_URI ?? 'mongodb://localhost:27017/caas'): Promise<Db> {
    if (!this.db) {
      this.client = new MongoClient(uri);
      await this.client.connect();
      this.db = this.client.db();
    }
    return this.db;
  }

  static getDb(): Db {
    if (!this.db) {
      this.client = new MongoClient(process.env.MONGODB_URI!);
      this.db = this.client.db();
    }
    return this.db!;
  }

  static async disconnect(): Promise<void> {
    await this.client?.close();
    this.client = null;
    this.db = null;
  }
}
"#;

/// Seed 004's migration, as the seed writes it.
const SEED_004: &str = r#"// migrations/001_add_preferences.ts
import { MongoDBConnection } from '../storage/mongodb-connection';

export interface Migration {
  version: number;
  description: string;
  up: () => Promise<void>;
  down: () => Promise<void>;
}

export const migration: Migration = {
  version: 2,
  description: 'Add user preferences field',

  async up() {
    const db = MongoDBConnection.getDb();

    await db.collection('users').updateMany(
      { schema_version: { $exists: false } },
      {
        $set: {
          schema_version: 2,
          preferences: {
            theme: 'light',
            notifications: true,
          },
          updated_at: new Date(),
        },
      }
    );
  },

  async down() {
    const db = MongoDBConnection.getDb();

    await db.collection('users').updateMany(
      { schema_version: 2 },
      {
        $unset: {
          schema_version: '',
          preferences: '',
        },
      }
    );
  },
};
"#;

/// The same form, connecting through the module's `connect()` and closing after.
const SEED_004_CONNECT: &str = r#"import { MongoDBConnection } from '../storage/mongodb-connection';
import type { Migration } from './lib/types';

export const migration: Migration = {
  version: 3,
  description: 'Audit the preferences',
  async up(): Promise<void> {
    const db = await MongoDBConnection.connect();
    const count: number = await db.collection('users').countDocuments({ schema_version: 2 });
    await db.collection('audit').insertOne({ _id: 'preferences', count });
    await MongoDBConnection.disconnect();
  },
  async down(): Promise<void> {
    const db = await MongoDBConnection.connect();
    await db.collection('audit').deleteOne({ _id: 'preferences' });
  },
};
"#;

#[test]
fn seed_004_runs_through_the_projects_own_connection_module() {
    let project = project();
    insert(
        &project.mongo(),
        "users",
        serde_json::json!([{ "_id": 1, "email": "ada@example.com" }, { "_id": 2, "email": "alan@example.com" }]),
    );
    write_project_file(&project, "storage/mongodb-connection.ts", CONNECTION_MODULE);
    // Types only, in a subfolder; never loaded, as the import of it is `import type`.
    write_project_file(
        &project,
        "migrations/lib/types.ts",
        "export interface Migration {\n  version: number;\n  description: string;\n  up: () => Promise<void>;\n  down: () => Promise<void>;\n}\n",
    );
    project.write("001_add_preferences.ts", SEED_004);
    project.write("002_audit.ts", SEED_004_CONNECT);
    // Seed 004 keeps its runner and its jest tests beside the migrations: neither is one.
    project.write(
        "runner.ts",
        "import { readdirSync } from 'fs';\nexport async function runMigrations(): Promise<void> {}\n",
    );
    project.write(
        "001_add_preferences.test.ts",
        "import { migration } from './001_add_preferences';\ndescribe('v2', () => { it('runs', async () => { await migration.up(); }); });\n",
    );

    let status = project.run(&["status", "--json"]).expect(0).json();
    let pending = &status["pending"];
    assert_eq!(pending.as_array().map(Vec::len), Some(2), "{status}");
    assert_eq!(pending[0]["description"], "Add user preferences field", "{status}");
    assert_eq!(pending[0]["reversible"], true, "{status}");
    assert_eq!(pending[1]["description"], "Audit the preferences", "{status}");

    // The module's own URL names another server: the migration still runs on mongrate's target.
    project.command(&["up"]).env("MONGODB_URI", "mongodb://production.invalid:27017/caas").run().expect(0);
    let users = find_all(&project.mongo(), "users");
    for user in &users {
        assert_eq!(user.get("schema_version"), Some(&Bson::Int32(2)), "{user}");
        let preferences = user.get_document("preferences").expect("preferences");
        assert_eq!(preferences, &doc! { "theme": "light", "notifications": true });
        assert!(matches!(user.get("updated_at"), Some(Bson::DateTime(_))), "{user}");
    }
    assert_eq!(find_all(&project.mongo(), "audit"), vec![doc! { "_id": "preferences", "count": 2 }]);

    project.run(&["down", "--steps", "2"]).expect(0);
    assert_eq!(count(&project.mongo(), "users", doc! { "schema_version": { "$exists": true } }), 0);
    assert_eq!(count(&project.mongo(), "users", doc! { "preferences": { "$exists": true } }), 0);
    assert_eq!(count(&project.mongo(), "audit", doc! {}), 0);
}

/// An ES module in `.ts` with `up(db)` declared, and every kind of type syntax.
const EVERY_FORM: &str = r#"import type { Db, Document } from 'mongodb';
import { ObjectId } from 'mongodb';
import { collectionName, Audit } from './lib/naming.js';

enum Theme { Light = 'light', Dark = 'dark' }
const enum Step { First = 1, Second, Third }

interface Preferences { theme: Theme; step: Step; owner?: ObjectId }
type WithId<T> = T & { _id: number };

abstract class Writer<T extends Document> {
  protected abstract readonly collection: string;
  constructor(protected readonly db: Db) {}
  async write(doc: WithId<T>): Promise<void> {
    await this.db.collection<T>(this.collection).insertOne(doc as any);
  }
}

class PreferenceWriter extends Writer<Preferences> implements Audit {
  protected readonly collection = collectionName('preferences');
  audited!: boolean;
}

function first<T>(items: readonly T[]): T | undefined {
  return items[0];
}

export const description: string = 'Every TypeScript form';

export async function up(db: Db): Promise<void> {
  const writer = new PreferenceWriter(db);
  const steps = [Step.Third, Step.First] satisfies Step[];
  await writer.write({ _id: 1, theme: Theme.Dark, step: first<Step>(steps)! });
  await writer.write({ _id: 2, theme: Theme.Light, step: Step.Second, owner: new ObjectId('65a1b2c3d4e5f60718293a4b') });
}

export async function down(db: Db): Promise<void> {
  await db.collection(collectionName('preferences')).drop();
}
"#;

#[test]
fn every_typescript_form_runs() {
    let project = project();
    write_project_file(
        &project,
        "migrations/lib/naming.ts",
        "export interface Audit { audited: boolean }\nexport function collectionName(base: string): string {\n  return `ts_${base}`;\n}\n",
    );
    write_project_file(
        &project,
        "migrations/lib/helpers.cts",
        "export = {\n  label<T>(value: T): string { return `label:${value}`; },\n};\n",
    );
    project.write("001-every-form.ts", EVERY_FORM);
    project.write(
        "002-module.mts",
        "import { Long } from 'mongodb';\nexport const name: string = 'An .mts module';\nexport default {\n  async up(db: import('mongodb').Db) {\n    await db.collection('forms').insertOne({ _id: 'mts', big: Long.fromString('9007199254740993') as unknown });\n  },\n};\n",
    );
    project.write(
        "003-common.cts",
        "import type { Db } from 'mongodb';\nimport helpers = require('./lib/helpers');\nmodule.exports = {\n  description: 'CommonJS in .cts',\n  async up(db: Db) {\n    await db.collection('forms').insertOne({ _id: 'cts', label: helpers.label<number>(7) });\n  },\n};\n",
    );
    project.write(
        "004-plain.ts",
        "import type { Db } from 'mongodb';\ninterface Row { _id: string; n: number }\nconst rows: Row[] = [{ _id: 'ts-commonjs', n: 1 }];\nmodule.exports = { async up(db: Db) { await db.collection('forms').insertMany(rows); } };\n",
    );
    // A type error is not a syntax error: types are not checked, and it runs.
    project.write(
        "005-type-error.ts",
        "import type { Db } from 'mongodb';\nconst count: number = 'three';\nexport async function up(db: Db): Promise<string> {\n  await db.collection('forms').insertOne({ _id: 'type-error', count });\n}\n",
    );

    let status = project.run(&["status", "--json"]).expect(0).json();
    let pending = &status["pending"];
    assert_eq!(pending.as_array().map(Vec::len), Some(5), "{status}");
    assert_eq!(pending[0]["description"], "Every TypeScript form", "{status}");
    assert_eq!(pending[0]["reversible"], true, "{status}");
    assert_eq!(pending[1]["name"], "An .mts module", "{status}");
    assert_eq!(pending[2]["description"], "CommonJS in .cts", "{status}");
    project.run(&["validate"]).expect(0);

    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(
        find_all(&db, "ts_preferences"),
        vec![
            doc! { "_id": 1, "theme": "dark", "step": 3 },
            doc! { "_id": 2, "theme": "light", "step": 2, "owner": bson::oid::ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap() },
        ]
    );
    assert_eq!(
        find_all(&db, "forms"),
        vec![
            doc! { "_id": "cts", "label": "label:7" },
            doc! { "_id": "mts", "big": 9_007_199_254_740_993_i64 },
            doc! { "_id": "ts-commonjs", "n": 1 },
            doc! { "_id": "type-error", "count": "three" },
        ]
    );
}

#[test]
fn a_syntax_error_is_refused_with_file_line_and_column() {
    let project = project();
    project
        .write("001-fine.ts", "export async function up(db) {\n  await db.collection('a').insertOne({ _id: 1 });\n}\n");
    project.write(
        "002-broken.ts",
        "import type { Db } from 'mongodb';\n\nexport async function up(db: Db): Promise<void> {\n  const rows: Array<{ n: number }> = [;\n}\n",
    );
    for args in [&["validate"][..], &["up"][..]] {
        let run = project.run(args).expect(4);
        assert!(run.stderr.contains("002-broken.ts:4:39: SyntaxError: "), "{args:?}: {}", run.stderr);
    }
    let status = project.run(&["status"]).expect(0);
    assert!(status.stdout.contains("002-broken.ts:4:39: SyntaxError: "), "{}", status.stdout);
    assert_eq!(count(&project.mongo(), "a", doc! {}), 0, "nothing ran");

    // In a module a migration imports, the position is that module's.
    project.remove("002-broken.ts");
    write_project_file(&project, "migrations/lib/broken.ts", "export const limit: number =\n  enum;\n");
    project.write(
        "002-imports.ts",
        "import { limit } from './lib/broken';\nexport async function up() {\n  return limit;\n}\n",
    );
    let run = project.run(&["validate"]).expect(4);
    assert!(run.stderr.contains("lib/broken.ts:2:3: SyntaxError: "), "{}", run.stderr);
    assert_eq!(count(&project.mongo(), "a", doc! {}), 0, "nothing ran");
}

#[test]
fn what_cannot_be_stripped_is_refused_with_what_to_change() {
    let project = project();
    project.write(
        "001-decorated.ts",
        "function sealed(target: unknown) {}\n\n@sealed\nclass Step {}\nexport async function up() {}\n",
    );
    let run = project.run(&["validate"]).expect(4);
    assert!(run.stderr.contains("001-decorated.ts:3:1: SyntaxError: decorators are not supported"), "{}", run.stderr);
    assert!(run.stderr.contains("remove `@sealed`"), "{}", run.stderr);
}

/// A migration whose `up` throws on line 9, after types on the lines before it and on its own.
const THROWS: &str = r#"import type { Db } from 'mongodb';
interface Row { _id: number; phone?: string }

export async function up(db: Db): Promise<void> {
  const rows: Array<Row> = [{ _id: 1 }];
  await db.collection<Row>('a').insertMany(rows);
  const found = (await db.collection<Row>('a').findOne({ _id: 1 })) as Row;
  const phone: string = found.phone!;
  const digits: number = (phone as string).length;
  return void digits;
}
"#;

#[test]
fn a_runtime_error_names_the_typescript_line_and_column() {
    let project = project();
    project.write("001-throws.ts", THROWS);
    let run = project.run(&["up"]).expect(1);
    assert!(run.stderr.contains("TypeError"), "{}", run.stderr);
    let frame = stack_frame(&run.stderr, "001-throws.ts");
    assert!(frame.contains("001-throws.ts:9:"), "the stack names the line that threw: {}", run.stderr);

    // The same file with its types removed by hand (spaces in their place) fails at the same
    // line and column: the columns are the TypeScript file's.
    let twin = project_twin_position(THROWS);
    let position = |text: &str, file: &str| {
        let at = text.find(file).map(|i| i + file.len()).unwrap_or_else(|| panic!("{text}"));
        text[at..].split(|c: char| !(c.is_ascii_digit() || c == ':')).next().unwrap_or_default().to_owned()
    };
    assert_eq!(position(&frame, "001-throws.ts"), position(&twin, "001-throws.js"), "{frame}\n{twin}");
    assert_eq!(count(&project.mongo(), "a", doc! {}), 1, "what ran before the error stays");
}

/// Runs `typescript` written as JavaScript by hand (each type replaced by spaces) and returns the
/// frame of the migration in its error.
fn project_twin_position(typescript: &str) -> String {
    let mut javascript = typescript.to_owned();
    for types in [
        "import type { Db } from 'mongodb';",
        "interface Row { _id: number; phone?: string }",
        ": Db",
        ": Promise<void>",
        ": Array<Row>",
        "<Row>",
        " as Row",
        ": string",
        "!",
        ": number",
        " as string",
    ] {
        javascript = javascript.replace(types, &" ".repeat(types.len()));
    }
    assert_eq!(javascript.len(), typescript.len(), "{javascript}");
    let project = project();
    project.write("001-throws.js", &javascript);
    let run = project.run(&["up"]).expect(1);
    stack_frame(&run.stderr, "001-throws.js")
}

/// The stack's line for `file` (`    at up (migrations/001-x.ts:9:25)`).
fn stack_frame(stderr: &str, file: &str) -> String {
    let frame = stderr.lines().find(|l| l.trim_start().starts_with("at ") && l.contains(&format!("{file}:")));
    frame.unwrap_or_else(|| panic!("no frame of {file}: {stderr}")).to_owned()
}

#[test]
fn create_format_ts_writes_a_template_that_runs() {
    let project = project();
    let run = project.run(&["create", "add flags", "--format", "ts"]).expect(0);
    let file = std::fs::read_dir(project.migrations())
        .expect("migrations")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "ts"))
        .unwrap_or_else(|| panic!("no .ts file written: {}", run.stdout));
    let text = std::fs::read_to_string(&file).expect("template");
    assert!(text.contains("export async function up(db: Db, client: MongoClient): Promise<void>"), "{text}");
    assert!(text.contains("export const description = 'add flags';"), "{text}");

    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["pending"][0]["description"], "add flags", "{status}");
    assert_eq!(status["pending"][0]["reversible"], true, "{status}");

    // Filled in, it runs both ways.
    let filled = text.replacen("  // await db.collection('users')", "  await db.collection('users')", 1).replacen(
        "  // await db.collection('users')",
        "  await db.collection('users')",
        1,
    );
    std::fs::write(&file, filled).expect("edit");
    insert(&project.mongo(), "users", serde_json::json!([{ "_id": 1, "schema_version": 1 }]));
    project.run(&["up"]).expect(0);
    assert_eq!(count(&project.mongo(), "users", doc! { "schema_version": 2 }), 1);
    project.run(&["down"]).expect(0);
    assert_eq!(count(&project.mongo(), "users", doc! { "schema_version": 1 }), 1);
}
