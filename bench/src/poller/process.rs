//! The measured processes: started as children of the bench, measured from `/proc` (CPU time,
//! peak resident memory), and stopped by their own process id when dropped, also when the
//! bench fails half-way.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A process whose CPU time `/proc` reports: a child by its id, or the bench itself (`self`).
pub trait Measured {
    /// The `/proc` entry: a process id, or `self`.
    fn proc_entry(&self) -> String;

    /// CPU seconds the process has used so far, user and system, all its threads.
    fn cpu_seconds(&self) -> Result<f64, String> {
        self.cpu_ticks(false)
    }

    /// CPU seconds of the process and of its children that ended and were waited for (a
    /// database server's connections that have closed).
    fn cpu_seconds_with_ended_children(&self) -> Result<f64, String> {
        self.cpu_ticks(true)
    }

    /// utime + stime, and with `children` cutime + cstime, in seconds.
    fn cpu_ticks(&self, children: bool) -> Result<f64, String> {
        let path = format!("/proc/{}/stat", self.proc_entry());
        let stat = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {path}: {error}"))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
        let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok());
        let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
            return Err(format!("{path} has no utime and stime fields"));
        };
        // cutime and cstime are fields 16 and 17.
        let ended_children = if children { ticks(13).unwrap_or(0) + ticks(14).unwrap_or(0) } else { 0 };
        Ok((user + system + ended_children) as f64 / clock_ticks_per_second())
    }
}

/// Any process, by its id.
pub struct Pid(pub u32);

impl Measured for Pid {
    fn proc_entry(&self) -> String {
        self.0.to_string()
    }
}

/// CPU seconds of every process named `name` (a database server's processes) now, by id, with
/// those of its children that have ended (the connections closed since it started).
pub fn cpu_by_name(name: &str) -> std::collections::HashMap<u32, f64> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Default::default() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == name))
        .filter_map(|pid| Some((pid, Pid(pid).cpu_seconds_with_ended_children().ok()?)))
        .collect()
}

/// CPU seconds the processes named `name` used since `before` ([`cpu_by_name`]); those that
/// started meanwhile count from zero.
pub fn cpu_since(name: &str, before: &std::collections::HashMap<u32, f64>) -> f64 {
    cpu_by_name(name).iter().map(|(pid, now)| now - before.get(pid).copied().unwrap_or(0.0)).sum()
}

/// The bench process itself.
pub struct ThisProcess;

impl Measured for ThisProcess {
    fn proc_entry(&self) -> String {
        "self".into()
    }
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// A process the bench started. Dropping it stops it: SIGTERM, then SIGKILL if it has not
/// exited within a few seconds.
pub struct Process {
    child: Child,
}

impl Measured for Process {
    fn proc_entry(&self) -> String {
        self.child.id().to_string()
    }
}

impl Process {
    pub fn spawn(name: &'static str, command: &mut Command) -> Result<Process, String> {
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command.spawn().map_err(|error| format!("cannot start {name} ({program}): {error}"))?;
        Ok(Process { child })
    }

    /// The most resident memory the process has held (VmHWM), in bytes. Read it before the
    /// process exits.
    pub fn peak_memory_bytes(&self) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {path}: {error}"))?;
        let kilobytes = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or_else(|| format!("{path} has no VmHWM line"))?;
        Ok(kilobytes * 1024)
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `deadline` for the process to exit by itself; true if it did.
    pub async fn exited_within(&mut self, deadline: Duration) -> bool {
        let start = Instant::now();
        while self.running() {
            if start.elapsed() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// Asks the process to stop (SIGTERM to its own id), then kills it if it has not stopped
    /// within five seconds.
    pub fn stop(&mut self) {
        if !self.running() {
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) with this child's own positive id signals that process only.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let start = Instant::now();
        while self.running() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.running() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Raises this process's soft limit of open files to at least `needed` (children inherit it),
/// as far as the hard limit allows.
pub fn allow_open_files(needed: u64) -> Result<(), String> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("cannot read the open-files limit: {}", std::io::Error::last_os_error()));
    }
    if limit.rlim_cur >= needed {
        return Ok(());
    }
    if limit.rlim_max < needed {
        return Err(format!(
            "the benchmark needs {needed} open files, but this shell allows at most {}; raise it (ulimit -Hn) or use fewer --targets",
            limit.rlim_max
        ));
    }
    limit.rlim_cur = needed;
    // SAFETY: setrlimit reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(format!("cannot raise the open-files limit to {needed}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}
