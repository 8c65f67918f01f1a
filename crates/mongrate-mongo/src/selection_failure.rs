//! A server-selection timeout in words, and the driver's debugging dumps taken out of text it
//! composed. The driver words a timeout as its view of the deployment — `Server selection
//! timeout: No available servers. Topology: { Type: Unknown, Servers: [ { Address: h:1, Type:
//! Unknown, Error: Kind: I/O error: …, labels: {}, source: None, server response: None } ] }` —
//! which is the only place it keeps why each host failed; this reads the hosts tried and their
//! causes out of it.

/// What a server-selection failure's message says: why no server was chosen, and each host
/// tried with its cause.
pub fn describe_selection_failure(message: &str) -> String {
    let message = without_debug_dumps(message);
    let Some((head, topology)) = message.split_once(" Topology: ") else {
        // A compatibility error (a server too old or too new for the driver) is plain words.
        return message;
    };
    let why = match head.split_once("suitable for criteria ") {
        Some((_, criteria)) => {
            format!("no server suitable for {} was found in time", criteria.trim_end_matches('.'))
        }
        None => "no server answered in time (--connect-timeout sets how long to wait)".to_owned(),
    };
    let tried: Vec<String> = servers(topology).iter().map(Server::describe).collect();
    if tried.is_empty() { why } else { format!("{why}; tried {}", tried.join("; ")) }
}

/// One server of the topology dump.
struct Server<'a> {
    address: &'a str,
    kind: &'a str,
    error: Option<&'a str>,
}

impl Server<'_> {
    fn describe(&self) -> String {
        match (self.error, self.kind) {
            (Some(error), _) => format!("{}: {}", self.address, error.trim_start_matches("I/O error: ")),
            (None, "Unknown") => format!("{}: no answer", self.address),
            (None, kind) => format!("{} ({kind})", self.address),
        }
    }
}

/// The servers of `{ Type: …, Servers: [ { Address: a, Type: t[, …][, Error: e] }, … ] }`.
fn servers(topology: &str) -> Vec<Server<'_>> {
    topology
        .split("{ Address: ")
        .skip(1)
        .filter_map(|entry| {
            let (address, rest) = entry.split_once(", Type: ")?;
            let kind_end = rest.find([',', ' ']).unwrap_or(rest.len());
            let error = rest
                .split_once(", Error: ")
                .map(|(_, error)| error.trim_end_matches([' ', ',', ']', '}']))
                .filter(|error| !error.is_empty());
            Some(Server { address, kind: &rest[..kind_end], error })
        })
        .collect()
}

const KIND: &str = "Kind: ";
const LABELS: &str = ", labels: ";
const RESPONSE: &str = "server response: ";

/// `text` with each `Kind: K, labels: {…}, source: …, server response: …` (the driver's
/// `Display` of an error, quoted inside a message it composed) replaced by `K`.
pub fn without_debug_dumps(text: &str) -> String {
    let mut text = text.to_owned();
    // The last dump first: one quoted inside another's kind is then already gone.
    while let Some(start) = text.rfind(KIND) {
        let kind_start = start + KIND.len();
        let Some(kind_len) = text[kind_start..].find(LABELS) else {
            text.replace_range(start..kind_start, "");
            continue;
        };
        let rest = kind_start + kind_len;
        let end = match text[rest..].find(RESPONSE) {
            Some(at) => {
                let value = rest + at + RESPONSE.len();
                value + value_len(&text[value..])
            }
            None => text.len(),
        };
        let kind = text[kind_start..rest].to_owned();
        text.replace_range(start..end, &kind);
    }
    text
}

/// The length of a Debug-printed value at the start of `text`: `None`, or `Some(…)` with its
/// brackets balanced (quoted strings skipped).
fn value_len(text: &str) -> usize {
    if !text.starts_with("Some(") {
        return text.find([',', ' ', '}']).unwrap_or(text.len());
    }
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' | '{' | '[' if !quoted => depth += 1,
            ')' | '}' | ']' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + c.len_utf8();
                }
            }
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSED: &str = "Server selection timeout: No available servers. Topology: { Type: Unknown, Servers: [ \
        { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: Connection refused (os error 111), \
        labels: {}, source: None, server response: None } ] }";

    #[test]
    fn a_refused_connection_names_the_host_and_the_cause_once() {
        assert_eq!(
            describe_selection_failure(REFUSED),
            "no server answered in time (--connect-timeout sets how long to wait); \
             tried 127.0.0.1:1: Connection refused (os error 111)"
        );
    }

    #[test]
    fn several_hosts_and_one_that_never_answered() {
        let message = "Server selection timeout: None of the available servers suitable for criteria \
            ReadPreference(Primary). Topology: { Type: ReplicaSetNoPrimary, Set Name: rs0, Servers: [ \
            { Address: a:27017, Type: RsSecondary, Average RTT: 1ms, Replica Set Name: rs0 }, \
            { Address: b:27017, Type: Unknown }, \
            { Address: c:27017, Type: Unknown, Error: Kind: I/O error: timed out, labels: {\"x\"}, \
            source: Some(Error { kind: Io(Custom { kind: TimedOut, error: \"(\" }) }), \
            server response: Some(RawDocumentBuf { data: \"0500\" }) } ] }";
        assert_eq!(
            describe_selection_failure(message),
            "no server suitable for ReadPreference(Primary) was found in time; \
             tried a:27017 (RsSecondary); b:27017: no answer; c:27017: timed out"
        );
    }

    #[test]
    fn dumps_inside_other_text_are_reduced_to_their_kind() {
        let text = "Connection pool for h:1 cleared because another operation failed with: Kind: Command failed: \
            Kind: I/O error: reset, labels: {}, source: None, server response: None, labels: {}, source: None, \
            server response: Some(RawDocumentBuf { data: \"a)b\" }) and then";
        assert_eq!(
            without_debug_dumps(text),
            "Connection pool for h:1 cleared because another operation failed with: Command failed: I/O error: reset and then"
        );
        assert_eq!(without_debug_dumps("Kind: cut short"), "cut short");
        assert_eq!(without_debug_dumps("Kind: x, labels: {} and no more"), "x");
        assert_eq!(without_debug_dumps("plain"), "plain");
    }

    #[test]
    fn messages_without_a_topology_stay_as_they_are() {
        assert_eq!(
            describe_selection_failure("Server at h:1 requires wire version 99"),
            "Server at h:1 requires wire version 99"
        );
    }
}
