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
    assertTrue(first.contains("-XX:+UseSerialGC") && first.contains("-XX:DumpLoadedClassList="),
        "the process the harness started (same PID) runs the launcher's JVM: " + first);
    assertTrue(registry.log().matches("(?s).*JVM started by the launcher \\(exec,default\\) -?[0-9]+ ms after the launcher's main, "
        + "with \\[-XX:\\+UseSerialGC.*"), registry.logTail(20));

    // JNA (which the launcher execs with) keeps its library in the data folder rather than unpacking it at each start
    try (Stream<Path> jna = Files.list(registry.dataDir().resolve("native"))) {
      Path copy = jna.filter(p -> p.getFileName().toString().startsWith("jna-")).findFirst().orElseThrow()
          .resolve("libjnidispatch.so");
      assertTrue(Files.size(copy) > 0, copy.toString());
    }

    Command.run(List.of("kill", "-QUIT", Long.toString(registry.pid()))).assertOk();
    awaitLog("Full thread dump");
    assertEquals(143, registry.stop(), "exit code of a JVM stopped by SIGTERM");
    assertTrue(registry.log().contains("INFO  RegistryApplication stopped"), registry.logTail(20));

    registry.start();
    String second = commandLine(registry);
    assertTrue(second.contains("-XX:SharedArchiveFile="), "the restart maps the archive: " + second);
    awaitLog("class-data archive made from the last start's class list in"); // logged just after ready
    registry.stop();
    Path archive = onlyFile(registry.dataDir().resolve("jvm"));
    assertTrue(archive.getFileName().toString().matches("cds-[0-9a-f]{16}-[0-9]+\\.jsa"), archive.toString());
    registry.start();
    assertTrue(commandLine(registry).contains("-XX:SharedArchiveFile=" + archive), commandLine(registry));
    assertTrue(mapped(registry, archive), "the JVM maps the archive the dump wrote");
    registry.stop();

    // damaged inside (same size): the JVM's checksums refuse it and it starts without
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.seek(f.length() / 2);
      f.write(new byte[4096]);
    }
    registry.start();
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
    // (JDK 17 says so only with -Xlog:cds: "Checksum verification failed", and starts without any archive)
    assertTrue(!mapped(registry, archive), "a damaged archive is not used");
    registry.stop();

    // truncated: JDK 17 would die of SIGBUS mapping it; the launcher deletes it and dumps anew
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    registry.start();
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
    assertTrue(commandLine(registry).contains("-XX:DumpLoadedClassList="), commandLine(registry));
  }

  /**
   * A class list the dump refuses: the start goes on without an archive, says where the dump's
   * output is, and later starts neither record nor dump again until that file is deleted.
   */
  @Test
  void aFailedDumpNeverStopsAStartAndIsNotRepeated() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    registry = RegistryProcess.prepare("launcher-fail").withEnv(Map.of("CONNECTED_REGISTRY_CDS", "on")).start();
    registry.stop();
    Path folder = registry.dataDir().resolve("jvm");
    Path list;
    try (Stream<Path> files = Files.list(folder)) {
      list = files.filter(p -> p.toString().endsWith(".classlist")).findFirst().orElseThrow();
    }
    Files.writeString(list, "@lambda-proxy x/Y\n", java.nio.file.StandardOpenOption.APPEND);

    registry.start();
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
    String second = commandLine(registry);
    assertTrue(!second.contains("-XX:SharedArchiveFile=") && !second.contains("-XX:DumpLoadedClassList="), second);
    Path failed = onlyFile(folder);
    assertTrue(failed.getFileName().toString().endsWith(".failed"), failed.toString());
    assertTrue(Files.readString(failed).contains("class list format error"), Files.readString(failed));
    awaitLog("WARN  Main no class-data archive: making one failed, see " + failed);
    registry.stop();

    registry.start();
    assertTrue(!commandLine(registry).contains("-XX:DumpLoadedClassList="), commandLine(registry));
    assertEquals(List.of(failed), List.of(onlyFile(folder)));
  }

  /**
   * picocli's classes (Java 5 class files) cannot come from the archive; a restart with the same
   * arguments takes their reading from DATA/jvm/NAME.options and loads none of them.
   */
  @Test
  void aRestartWithTheSameArgumentsLoadsNoPicocliClass() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    registry = RegistryProcess.prepare("launcher-options");
    Path classLog = registry.workDir().resolve("classes.log");
    registry.withEnv(Map.of("CONNECTED_REGISTRY_CDS", "on", "JDK_JAVA_OPTIONS", "-Xlog:class+load:file=" + classLog));
    registry.start();
    assertTrue(Files.readString(classLog).contains(" picocli.CommandLine "), "the first start reads its arguments with picocli");
    registry.stop();
    Path options;
    try (Stream<Path> files = Files.list(registry.dataDir().resolve("jvm"))) {
      options = files.filter(p -> p.toString().endsWith(".options")).findFirst().orElseThrow();
    }
    assertTrue(Files.readString(options).contains("option.data="), Files.readString(options));

    registry.start();
    assertTrue(commandLine(registry).contains("-Dconnected-registry.server-options=" + options), commandLine(registry));
    // (Main's own references resolve two exception types and one interface: from the archive)
    List<String> fromTheJar = Files.readAllLines(classLog).stream()
        .filter(l -> l.contains(" picocli.") && !l.contains("source: shared objects file")).toList();
    assertEquals(List.of(), fromTheJar, "no picocli class read from the jar at a restart");
    assertEquals(200, registry.probe(RegistryProcess.readinessPath()));
  }

  /**
   * With the archive off, the launcher still execs, and JNA's library still comes from the copy it
   * keeps in DATA/native (issue #13: no unpacking at each start); nothing is written to DATA/jvm.
   */
  @Test
  void withTheArchiveOffTheLauncherStillExecsWithJnasKeptLibrary() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    registry = RegistryProcess.prepare("launcher-cds-off").withEnv(Map.of("CONNECTED_REGISTRY_CDS", "off")).start();
    assertTrue(commandLine(registry).contains("-XX:+UseSerialGC") && !commandLine(registry).contains("-XX:Shared"),
        commandLine(registry));
    try (Stream<Path> native_ = Files.list(registry.dataDir().resolve("native"))) {
      assertTrue(native_.anyMatch(p -> p.getFileName().toString().startsWith("jna-")
          && Files.isRegularFile(p.resolve("libjnidispatch.so"))), "JNA's copy in DATA/native");
    }
    assertTrue(!Files.exists(registry.dataDir().resolve("jvm")), "no DATA/jvm with the archive off");
  }

  /**
   * The suite's registries with the launcher's defaults map the one archive the harness made
   * (SuiteClassArchive): if its name stopped matching the launcher's, each would quietly start
   * without one again and the suite would take minutes longer.
   */
  @Test
  void aRegistryWithTheDefaultsMapsTheSuitesArchive() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    registry = RegistryProcess.prepare("launcher-suite-archive").start();
    Path archive = onlyFile(registry.dataDir().resolve("jvm"));
    assertTrue(mapped(registry, archive), "the JVM maps " + archive);
  }

  /** Whether the JVM has the archive mapped (it maps an archive only once its header and checksums pass). */
  private static boolean mapped(RegistryProcess registry, Path archive) throws IOException {
    return Files.readString(Path.of("/proc", Long.toString(registry.pid()), "maps")).contains(archive.toString());
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

  /** The one file in DATA/jvm besides the server's options (ServerOptionsCache). */
  private static Path onlyFile(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> all = files.filter(p -> !p.toString().endsWith(".options")).toList();
      assertEquals(1, all.size(), all.toString());
      return all.get(0);
    }
  }
}
