package io.connectedregistry.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The memory this process may use: the smallest of the machine's RAM ({@code /proc/meminfo}) and
 * the limits of its control group and that group's parents (cgroup v2 {@code memory.max}, v1
 * {@code memory.limit_in_bytes}): what a container, a systemd unit or a Kubernetes pod allows.
 * Read from files rather than through the JDK's management beans, which the launcher does not load
 * (they cost tens of milliseconds of every start).
 */
final class MemoryLimit {
  private MemoryLimit() {}

  /** The limit in bytes, or empty when none can be read. {@code root} is {@code /} outside tests. */
  static OptionalLong bytes(Path root) {
    long limit = Long.MAX_VALUE;
    limit = Math.min(limit, memTotal(root.resolve("proc/meminfo")));
    Path cgroup = root.resolve("sys/fs/cgroup");
    for (String line : lines(root.resolve("proc/self/cgroup"))) {
      // "0::/PATH" (v2), "N:memory:/PATH" or "N:...,memory,...:/PATH" (v1)
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        limit = Math.min(limit, smallestUpward(cgroup, f[2], "memory.max"));
      } else if (List.of(f[1].split(",")).contains("memory")) {
        limit = Math.min(limit, smallestUpward(cgroup.resolve("memory"), f[2], "memory.limit_in_bytes"));
      }
    }
    return limit == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(limit);
  }

  /**
   * The smallest limit in the group's folder and its parents'. In a container the group's own path
   * is often not mounted (the container sees its group as the root): then the mount's top counts.
   */
  private static long smallestUpward(Path mount, String group, String file) {
    long smallest = Long.MAX_VALUE;
    Path relative = Path.of(group.startsWith("/") ? group.substring(1) : group).normalize();
    if (relative.startsWith("..")) {
      return smallest;
    }
    for (Path p = relative; ; p = p.getParent()) {
      Path dir = p == null || p.toString().isEmpty() ? mount : mount.resolve(p);
      smallest = Math.min(smallest, number(dir.resolve(file)));
      if (p == null || p.toString().isEmpty()) {
        return smallest;
      }
    }
  }

  /** A limit file's number; "max" and anything unreadable are no limit (v1 writes ~2^63 for none). */
  private static long number(Path file) {
    List<String> lines = lines(file);
    if (lines.isEmpty() || !isNumber(lines.get(0).trim(), 19)) {
      return Long.MAX_VALUE;
    }
    try {
      return Long.parseLong(lines.get(0).trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long memTotal(Path meminfo) {
    for (String line : lines(meminfo)) {
      // "MemTotal:       24683652 kB"
      if (line.startsWith("MemTotal:")) {
        String value = line.substring("MemTotal:".length()).trim();
        if (value.endsWith(" kB")) {
          String kib = value.substring(0, value.length() - " kB".length()).trim();
          if (isNumber(kib, 15)) {
            return Long.parseLong(kib) * 1024;
          }
        }
      }
    }
    return Long.MAX_VALUE;
  }

  /** One to {@code maxDigits} ASCII digits and nothing else (no regular expression: see Launcher#relaunch). */
  static boolean isNumber(String s, int maxDigits) {
    if (s.isEmpty() || s.length() > maxDigits) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
