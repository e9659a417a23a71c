//! Network namespaces: naming, creation, deletion, stale sweeping, and running
//! commands or closures inside them.

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sched::{CloneFlags, setns};

use crate::error::{LabError, LabResult};

/// Every namespace the lab creates starts with this, so `cleanup` can find them.
pub const NAMESPACE_PREFIX: &str = "swlab-";

/// Where `ip netns` keeps its namespace handles.
const NETNS_DIR: &str = "/run/netns";

/// Distinguishes labs built by the same process (tests run in parallel threads).
static NEXT_LAB_NUMBER: AtomicU32 = AtomicU32::new(0);

/// Returns the name stem `swlab-<pid>-<n>` for a new lab, unique within this machine
/// while this process lives.
pub fn new_lab_stem() -> String {
    let number = NEXT_LAB_NUMBER.fetch_add(1, Ordering::Relaxed);
    format!("{NAMESPACE_PREFIX}{}-{number}", std::process::id())
}

/// Renders a command line for error messages.
fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command to completion; on failure the error names the command and its stderr.
/// Returns stdout.
pub fn run(command: &mut Command) -> LabResult<String> {
    run_with_input(command, None)
}

/// Like [`run`], feeding `input` on stdin (used for `nft -f -`).
pub fn run_with_input(command: &mut Command, input: Option<&str>) -> LabResult<String> {
    use std::io::Write;
    use std::process::Stdio;

    let command_line = describe(command);
    let spawn_error = |source| LabError::Spawn {
        command: command_line.clone(),
        source,
    };
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(spawn_error)?;
    if let Some(text) = input {
        // Dropping stdin after writing closes it, so the program sees end of input.
        let mut stdin = child.stdin.take().expect("stdin was piped");
        stdin.write_all(text.as_bytes()).map_err(spawn_error)?;
    }
    let output = child.wait_with_output().map_err(spawn_error)?;
    if !output.status.success() {
        return Err(LabError::Command {
            command: command_line,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Shorthand for running `ip ARGS...` in the current (host) namespace.
pub fn ip(args: &[&str]) -> LabResult<String> {
    run(Command::new("ip").args(args))
}

/// A `Command` that runs `program` inside namespace `namespace` via `ip netns exec`.
pub fn command_in(namespace: &str, program: &str) -> Command {
    let mut command = Command::new("ip");
    command.args(["netns", "exec", namespace, program]);
    command
}

/// Serialises `ip netns add` within this process: on a fresh machine the first call
/// also sets up the /run/netns mount, and parallel first calls would stack mounts.
static CREATE_LOCK: Mutex<()> = Mutex::new(());

/// Creates a namespace with the given name.
pub fn create(namespace: &str) -> LabResult<()> {
    // A panic elsewhere while holding the lock leaves nothing inconsistent; go on.
    let _serialised = CREATE_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    ip(&["netns", "add", namespace]).map(drop)
}

/// Deletes a namespace; its interfaces (veths, bridge) go with it.
pub fn delete(namespace: &str) -> LabResult<()> {
    ip(&["netns", "delete", namespace]).map(drop)
}

/// Names of all existing namespaces created by any lab.
pub fn list_lab_namespaces() -> LabResult<Vec<String>> {
    let entries = match std::fs::read_dir(NETNS_DIR) {
        Ok(entries) => entries,
        // No namespace was ever created on this machine.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LabError::Io {
                context: format!("listing {NETNS_DIR}"),
                source,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(NAMESPACE_PREFIX))
        .collect();
    names.sort();
    Ok(names)
}

/// The pid embedded in a lab namespace name `swlab-<pid>-<n>-<role>`.
fn owner_pid(namespace: &str) -> Option<i32> {
    namespace
        .strip_prefix(NAMESPACE_PREFIX)?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Whether a process with this pid exists (signal 0 probes without sending anything).
fn process_is_alive(pid: i32) -> bool {
    use nix::errno::Errno;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    !matches!(kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// Deletes lab namespaces left behind by processes that no longer exist
/// (e.g. a test run killed with SIGKILL). Returns the names deleted.
pub fn sweep_stale() -> LabResult<Vec<String>> {
    let mut deleted = Vec::new();
    for namespace in list_lab_namespaces()? {
        let stale = match owner_pid(&namespace) {
            Some(pid) => pid != std::process::id() as i32 && !process_is_alive(pid),
            None => false,
        };
        // Another process may sweep the same leftover at the same moment; losing
        // that race is harmless, so a failed delete is not an error here.
        if stale && delete(&namespace).is_ok() {
            deleted.push(namespace);
        }
    }
    Ok(deleted)
}

/// Deletes every lab namespace, including those of running labs. Returns the names deleted.
pub fn delete_all() -> LabResult<Vec<String>> {
    let mut deleted = Vec::new();
    for namespace in list_lab_namespaces()? {
        delete(&namespace)?;
        deleted.push(namespace);
    }
    Ok(deleted)
}

/// Runs `work` on a short-lived thread that has first joined `namespace`'s network
/// namespace. Sockets created by `work` stay in that namespace for their whole life
/// and may be used from any thread afterwards.
pub fn run_in<T, F>(namespace: &str, work: F) -> std::io::Result<T>
where
    F: FnOnce() -> std::io::Result<T> + Send,
    T: Send,
{
    let handle_path = Path::new(NETNS_DIR).join(namespace);
    // A fresh thread is used because setns changes only the calling thread; the
    // caller's own thread (and so the rest of the program) stays where it was.
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let handle = File::open(&handle_path).map_err(|error| {
                    std::io::Error::new(
                        error.kind(),
                        format!("opening namespace {}: {error}", handle_path.display()),
                    )
                })?;
                setns(&handle, CloneFlags::CLONE_NEWNET).map_err(|errno| {
                    std::io::Error::other(format!("setns into {namespace}: {errno}"))
                })?;
                work()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Deletes a set of namespaces when dropped: makes a failed build and a dropped
/// (or panicking) lab clean up after themselves.
#[derive(Debug, Default)]
pub struct NamespaceGuard {
    names: Vec<String>,
}

impl NamespaceGuard {
    /// Creates the namespace and remembers it for deletion.
    pub fn create(&mut self, namespace: String) -> LabResult<()> {
        create(&namespace)?;
        self.names.push(namespace);
        Ok(())
    }

    /// The namespaces this guard owns, in creation order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        for namespace in self.names.drain(..).rev() {
            if let Err(error) = delete(&namespace) {
                // Drop cannot return errors; the stale sweep catches what is left.
                eprintln!("sipwall-lab: could not delete namespace {namespace}: {error}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_owner_pid_from_names() {
        assert_eq!(owner_pid("swlab-1234-7-client"), Some(1234));
        assert_eq!(owner_pid("swlab-x-7-client"), None);
        assert_eq!(owner_pid("other-1234"), None);
    }

    #[test]
    fn lab_stems_are_unique() {
        assert_ne!(new_lab_stem(), new_lab_stem());
    }

    #[test]
    fn failed_commands_name_the_command_and_stderr() {
        let error = run(Command::new("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("sh -c"), "{message}");
        assert!(message.contains("oops"), "{message}");
    }
}
