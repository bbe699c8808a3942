package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
  private static final String[] SERVE = {"--listen", "127.0.0.1:5000", "--data", "d"};

  @Test
  void theServerCommandWithoutJvmOptionsIsRelaunched() {
    assertEquals(Optional.empty(), Launcher.reasonToStay(SERVE, Map.of(), List.of()));
    assertEquals(Optional.empty(), Launcher.reasonToStay(new String[0], Map.of(), List.of()));
    assertEquals(Optional.empty(), Launcher.reasonToStay(new String[] {"--data=x", "--mode", "ReadOnly"},
        Map.of(Launcher.PROFILE_ENV, "small-device"), List.of()));
  }

  @Test
  void anyChoiceOfTheUsersKeepsTheJvmAsItIs() {
    assertTrue(Launcher.reasonToStay(SERVE, Map.of(), List.of("-Xmx64m")).isPresent());
    assertTrue(Launcher.reasonToStay(SERVE, Map.of(), List.of("-Dconnected-registry.relaunch=false")).isPresent());
    assertTrue(Launcher.reasonToStay(SERVE, Map.of("JAVA_TOOL_OPTIONS", "-Xss1m"), List.of()).isPresent());
    assertTrue(Launcher.reasonToStay(SERVE, Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g"), List.of()).isPresent());
    assertTrue(Launcher.reasonToStay(SERVE, Map.of(Launcher.PROFILE_ENV, "off"), List.of()).isPresent());
    assertTrue(Launcher.reasonToStay(SERVE, Map.of(Launcher.PROFILE_ENV, "typo"), List.of()).isPresent());
  }

  @Test
  void jdkJavaOptionsAreAddedAfterTheDefaultsSoTheyWin() {
    assertEquals(Optional.empty(), Launcher.reasonToStay(SERVE, Map.of("JDK_JAVA_OPTIONS", "-Xmx1g"), List.of()));
    List<String> profile = List.of("-XX:+UseSerialGC", "-Xmx64m", "-XX:-TieredCompilation");

    assertEquals(List.of("-XX:+UseSerialGC", "-Xmx64m", "-XX:-TieredCompilation", "-Xmx1g", "-Dname=a b", "-Dq=it's"),
        Launcher.withUserOptions(profile, "  -Xmx1g\t'-Dname=a b' \"-Dq=it's\" "));
    // two collectors would stop the JVM from starting: the user's replaces the profile's
    assertEquals(List.of("-Xmx64m", "-XX:-TieredCompilation", "-XX:+UseG1GC"),
        Launcher.withUserOptions(profile, "-XX:+UseG1GC"));
    assertEquals(profile, Launcher.withUserOptions(profile, ""));
    // and the new JVM does not get them a second time (before the defaults) from its environment
    assertTrue(Launcher.environment(Map.of("JDK_JAVA_OPTIONS", "-Xmx1g")).stream()
        .noneMatch(e -> e.startsWith("JDK_JAVA_OPTIONS=")));
  }

  @Test
  void onlyAUseSomethingGcOptionIsTakenForAChoiceOfCollector() {
    for (String collector : List.of("-XX:+UseSerialGC", "-XX:+UseG1GC", "-XX:+UseParallelGC", "-XX:+UseZGC")) {
      assertTrue(Launcher.isCollector(collector), collector);
    }
    for (String other : List.of("-XX:+UseGC", "-XX:-UseG1GC", "-XX:+UseG1GCx", "-XX:+UseG-1GC", "-Xmx1g",
        "-XX:+UseStringDeduplication", "")) {
      assertFalse(Launcher.isCollector(other), other);
    }
  }

  @Test
  void theCommandLineIsReadFromProcWithEmptyWordsKept(@TempDir Path dir) throws IOException {
    Path cmdline = Files.write(dir.resolve("cmdline"),
        "java\0-Xmx1g\0\0-Dname=a b\0-jar\0r.jar\0".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("java", "-Xmx1g", "", "-Dname=a b", "-jar", "r.jar"), Launcher.commandLine(cmdline));
    assertEquals(List.of(), Launcher.commandLine(dir.resolve("missing")));
    // this JVM's own: surefire starts it with options before its main class or jar
    assertTrue(Launcher.commandLine(Path.of("/proc/self/cmdline")).get(0).endsWith("java"));
  }

  @Test
  void subcommandsHelpAndVersionRunWhereTheyAre() {
    for (String[] args : List.of(new String[] {"gc", "--data", "d"}, new String[] {"token", "create"},
        new String[] {"--help"}, new String[] {"-V"}, new String[] {"--data", "d", "bundle"})) {
      assertTrue(Launcher.reasonToStay(args, Map.of(), List.of()).isPresent(), String.join(" ", args));
    }
  }

  @Test
  void theArchiveGoesToTheDataFolderTheRegistryWillUseOrNowhere() {
    assertEquals(Optional.of(Path.of("/srv/d")), Launcher.dataFolder(new String[] {"--data", "/srv/d"},
        Map.of("REGISTRY_DATA", "/var/x")));
    assertEquals(Optional.of(Path.of("/srv/e")), Launcher.dataFolder(new String[] {"--data=/srv/e"}, Map.of()));
    assertEquals(Optional.of(Path.of("/var/x")), Launcher.dataFolder(new String[0], Map.of("REGISTRY_DATA", "/var/x")));
    assertEquals(Optional.of(Path.of("data").toAbsolutePath()), Launcher.dataFolder(new String[0], Map.of()));
    // a configuration file may name the data folder: the launcher does not read it
    assertEquals(Optional.empty(), Launcher.dataFolder(new String[] {"--config", "c.yml"}, Map.of()));
    assertEquals(Optional.empty(), Launcher.dataFolder(new String[0], Map.of("REGISTRY_CONFIG", "c.yml")));
  }

  @Test
  void mallocArenasAreBoundedUnlessTheUserSetThem() {
    assertTrue(Launcher.environment(Map.of("A", "b")).containsAll(List.of("A=b", "MALLOC_ARENA_MAX=2")));
    assertEquals(List.of("MALLOC_ARENA_MAX=8"), Launcher.environment(Map.of("MALLOC_ARENA_MAX", "8")));
  }

  @Test
  void bothProfilesAreInTheJar() throws IOException {
    assertTrue(Launcher.jvmOptions("default.jvmopts").contains("-XX:+UseSerialGC"));
    assertTrue(Launcher.jvmOptions("small-device.jvmopts").contains("-Xmx24m"));
  }
}
