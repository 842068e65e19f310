//! What the fleet's process and its host use, read from Linux's `/proc` (elsewhere nothing is
//! read and the metrics are left out). All servers of a fleet run in one process, so they
//! report the same process figures.

use std::sync::Mutex;

/// The process's own use, as Python's Prometheus client reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessUse {
    pub cpu_seconds: f64,
    pub resident_bytes: f64,
    pub virtual_bytes: f64,
}

/// Linux reports CPU times in ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// The process's CPU time and memory, from `/proc/self/stat` and `/proc/self/status`.
pub fn process() -> Option<ProcessUse> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kilobytes = |key: &str| -> Option<f64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        Some(line[key.len()..].trim().trim_end_matches("kB").trim().parse::<f64>().ok()? * 1024.0)
    };
    Some(ProcessUse {
        cpu_seconds: ticks / TICKS_PER_SECOND,
        resident_bytes: kilobytes("VmRSS:")?,
        virtual_bytes: kilobytes("VmSize:")?,
    })
}

/// The host's memory, as Triton reports it: total and used (total less available), in bytes.
pub fn memory() -> Option<(f64, f64)> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kilobytes = |key: &str| -> Option<f64> {
        let line = meminfo.lines().find(|line| line.starts_with(key))?;
        Some(line[key.len()..].trim().trim_end_matches("kB").trim().parse::<f64>().ok()? * 1024.0)
    };
    let (total, available) = (kilobytes("MemTotal:")?, kilobytes("MemAvailable:")?);
    Some((total, total - available))
}

/// The host's CPU utilization between two reads, 0–1, as Triton's `nv_cpu_utilization`
/// (from `/proc/stat`'s first line: busy ticks over all ticks since the last read).
#[derive(Debug, Default)]
pub struct CpuUtilization {
    last: Mutex<Option<(u64, u64)>>,
}

impl CpuUtilization {
    pub fn read(&self) -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let ticks: Vec<u64> =
            stat.lines().next()?.split_whitespace().skip(1).filter_map(|field| field.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
        let total: u64 = ticks.iter().take(8).sum();
        let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (last_total, last_idle) = last.replace((total, idle)).unwrap_or((0, 0));
        let elapsed = total.saturating_sub(last_total);
        (elapsed > 0).then(|| 1.0 - idle.saturating_sub(last_idle) as f64 / elapsed as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_linux_the_process_and_host_figures_are_plausible() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let process = process().expect("/proc/self is readable");
        assert!(process.resident_bytes > 1e5 && process.virtual_bytes >= process.resident_bytes, "{process:?}");
        let (total, used) = memory().expect("/proc/meminfo is readable");
        assert!(used > 0.0 && used < total);
        let cpu = CpuUtilization::default();
        let first = cpu.read().expect("/proc/stat is readable");
        assert!((0.0..=1.0).contains(&first));
    }
}
