//! What a process used: peak resident memory (`VmHWM` in `/proc/<pid>/status`) and CPU time (user +
//! system, from `/proc/<pid>/stat`), for this process and for the endpoint child. On systems without
//! `/proc` the figures are absent rather than wrong.

use std::time::Duration;

/// `/proc/<pid>/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100 for user space.
const TICKS_PER_SECOND: u64 = 100;

/// Peak resident set size of this process in bytes.
pub fn self_peak_bytes() -> Option<u64> {
    read_vm_hwm("/proc/self/status")
}

/// Peak resident set size of process `pid` in bytes.
pub fn pid_peak_bytes(pid: u32) -> Option<u64> {
    read_vm_hwm(&format!("/proc/{pid}/status"))
}

/// CPU time (user + system) this process has used so far.
pub fn self_cpu() -> Option<Duration> {
    read_cpu("/proc/self/stat")
}

/// CPU time (user + system) process `pid` has used so far.
pub fn pid_cpu(pid: u32) -> Option<Duration> {
    read_cpu(&format!("/proc/{pid}/stat"))
}

fn read_cpu(path: &str) -> Option<Duration> {
    parse_cpu(&std::fs::read_to_string(path).ok()?)
}

/// `utime` and `stime`, fields 14 and 15 of `stat`; the command name (field 2) may hold spaces and
/// parentheses, so fields are counted from its closing parenthesis.
fn parse_cpu(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / TICKS_PER_SECOND))
}

fn read_vm_hwm(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_vm_hwm(&text)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_high_water_mark() {
        assert_eq!(parse_vm_hwm("Name:\tx\nVmHWM:\t  12345 kB\nVmRSS:\t1 kB\n"), Some(12345 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn parses_cpu_ticks_after_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1";
        assert_eq!(parse_cpu(stat), Some(Duration::from_secs(3)));
        assert_eq!(parse_cpu("garbage"), None);
    }

    #[test]
    fn this_process_has_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(self_peak_bytes().unwrap_or(0) > 0);
        }
    }
}
