package io.connectedregistry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar connected-registry.jar} with no JVM option: the launcher execs (same PID) a JVM
 * with the registry's defaults and its class-data archive in {@code DATA/jvm}. What a supervisor
 * sees must not change: one PID, SIGTERM a graceful stop with the JVM's exit code, SIGQUIT a
 * thread dump; and no archive, damaged or not, may stop a start.
 */
class LauncherTest {
  private RegistryProcess registry;

  @AfterEach
  void stop() {
    RegistryProcess.closeAll(registry);
  }

  @Test
  void javaDashJarExecsTheSamePidWithTheDefaultsSignalsWorkAndNoArchiveStopsAStart() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    registry = RegistryProcess.prepare("launcher").withEnv(Map.of("CONNECTED_REGISTRY_CDS", "on")).start();
    String first = commandLine(registry);
    assertTrue(first.contains("-XX:+UseSerialGC") && first.contains("-XX:ArchiveClassesAtExit="),
        "the process the harness started (same PID) runs the launcher's JVM: " + first);
    assertTrue(registry.log().matches("(?s).*JVM started by the launcher \\(exec,default\\) -?[0-9]+ ms after the launcher's main, "
        + "with \\[-XX:\\+UseSerialGC.*"), registry.logTail(20));

    Command.run(List.of("kill", "-QUIT", Long.toString(registry.pid()))).assertOk();
    awaitLog("Full thread dump");
    assertEquals(143, registry.stop(), "exit code of a JVM stopped by SIGTERM");
    assertTrue(registry.log().contains("INFO  RegistryApplication stopped"), registry.logTail(20));

    registry.start();
    String second = commandLine(registry);
    assertTrue(second.contains("-XX:SharedArchiveFile="), "the restart maps the archive: " + second);
    registry.stop();
    Path archive = onlyFile(registry.dataDir().resolve("jvm"));

    // damaged inside (same size): the JVM's checksums refuse it and it starts without
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.seek(f.length() / 2);
      f.write(new byte[4096]);
    }
    registry.start();
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
    assertTrue(registry.log().contains("Unable to use shared archive"), registry.logTail(20));
    registry.stop();

    // truncated: JDK 17 would die of SIGBUS mapping it; the launcher deletes it and dumps anew
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    registry.start();
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
    assertTrue(commandLine(registry).contains("-XX:ArchiveClassesAtExit="), commandLine(registry));
  }

  private void awaitLog(String text) throws InterruptedException {
    for (int i = 0; i < 100 && !registry.log().contains(text); i++) {
      Thread.sleep(100);
    }
    assertTrue(registry.log().contains(text), "no '" + text + "' in\n" + registry.logTail(20));
  }

  private static String commandLine(RegistryProcess registry) throws IOException {
    return Files.readString(Path.of("/proc", Long.toString(registry.pid()), "cmdline")).replace('\0', ' ');
  }

  private static Path onlyFile(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> all = files.toList();
      assertEquals(1, all.size(), all.toString());
      return all.get(0);
    }
  }
}
