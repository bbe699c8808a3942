package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryLimitTest {
  @TempDir Path root;

  private void write(String file, String text) throws IOException {
    Path p = root.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  @Test
  void theMachinesRamWhenNoGroupLimitsIt() throws IOException {
    write("proc/meminfo", "MemTotal:        2048000 kB\nMemFree:          100000 kB\n");
    write("proc/self/cgroup", "0::/user.slice\n");
    write("sys/fs/cgroup/user.slice/memory.max", "max\n");
    assertEquals(OptionalLong.of(2048000L * 1024), MemoryLimit.bytes(root));
  }

  /** A Kubernetes pod limits its parent group, not the container's own: every level counts. */
  @Test
  void cgroupV2TheSmallestLimitOfTheGroupAndItsParents() throws IOException {
    write("proc/meminfo", "MemTotal:       24000000 kB\n");
    write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
    write("sys/fs/cgroup/kubepods/memory.max", "max\n");
    write("sys/fs/cgroup/kubepods/pod1/memory.max", "268435456\n");
    write("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n");
    assertEquals(OptionalLong.of(256L << 20), MemoryLimit.bytes(root));
  }

  /** Inside a container the group's path is not mounted: the mount's own top is the container's. */
  @Test
  void cgroupV2InAContainerTheMountsTop() throws IOException {
    write("proc/self/cgroup", "0::/../../docker-abc.scope\n");
    write("sys/fs/cgroup/memory.max", "134217728\n");
    assertEquals(OptionalLong.empty(), MemoryLimit.bytes(root), "a path out of the mount is not followed");
    write("proc/self/cgroup", "0::/\n");
    assertEquals(OptionalLong.of(128L << 20), MemoryLimit.bytes(root));
  }

  @Test
  void cgroupV1MemoryController() throws IOException {
    write("proc/self/cgroup", "9:pids:/x\n4:memory:/process_api/abc\n0::/\n");
    write("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    write("sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes", "402653184\n");
    assertEquals(OptionalLong.of(384L << 20), MemoryLimit.bytes(root));
  }

  @Test
  void nothingReadableIsNoLimit() throws IOException {
    assertEquals(OptionalLong.empty(), MemoryLimit.bytes(root));
    write("proc/meminfo", "MemTotal: lots\n");
    write("proc/self/cgroup", "garbage\n0::/a\n");
    write("sys/fs/cgroup/a/memory.max", "-1\n");
    assertEquals(OptionalLong.empty(), MemoryLimit.bytes(root));
  }
}
