package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassArchiveTest {
  private static final List<String> OPTS = List.of("-XX:+UseSerialGC");

  @TempDir Path dir;

  @Test
  void aStartWithoutArchiveDumpsOneAndAReadyDumpIsKeptByTheNextStart() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    List<String> first = ClassArchive.options(folder, jar, OPTS, 42);
    String dump = value(first, "-XX:ArchiveClassesAtExit=");
    assertEquals(dump, value(first, "-D" + Launcher.PENDING_ARCHIVE + "="));

    ClassArchive.markReady(dump);
    Files.write(Path.of(dump), new byte[1000]); // the JVM writes it at exit, after the marker
    Files.setLastModifiedTime(Path.of(dump), FileTime.fromMillis(System.currentTimeMillis() + 1000));

    List<String> second = ClassArchive.options(folder, jar, OPTS, 43);
    String archive = value(second, "-XX:SharedArchiveFile=");
    assertTrue(archive.endsWith("-1000.jsa"), archive);
    assertTrue(second.contains("-XX:+VerifySharedSpaces"), second.toString());
    assertEquals(List.of(Path.of(archive).getFileName().toString()), names(folder));
    assertEquals(second, ClassArchive.options(folder, jar, OPTS, 44));
  }

  /** Writing an archive at exit peaks at ~220 MiB: under 256 MiB none is made, one made elsewhere is used. */
  @Test
  void noDumpUnderASmallMemoryLimitButAnArchiveThereIsStillUsed() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    OptionalLong pod = OptionalLong.of(192L << 20);
    assertEquals(List.of("-D" + Launcher.ARCHIVE_SKIPPED + "=" + (192L << 20)),
        ClassArchive.options(folder, jar, OPTS, 42, pod));
    assertEquals(List.of(), names(folder));

    List<String> roomy = ClassArchive.options(folder, jar, OPTS, 43, OptionalLong.of(ClassArchive.DUMP_MIN_MEMORY));
    String dump = value(roomy, "-XX:ArchiveClassesAtExit=");
    ClassArchive.markReady(dump);
    Files.write(Path.of(dump), new byte[1000]);
    Files.setLastModifiedTime(Path.of(dump), FileTime.fromMillis(System.currentTimeMillis() + 1000));
    assertTrue(value(ClassArchive.options(folder, jar, OPTS, 44, pod), "-XX:SharedArchiveFile=").endsWith("-1000.jsa"));
  }

  @Test
  void aDumpOfAStartThatNeverBecameReadyIsDiscarded() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    String dump = value(ClassArchive.options(folder, jar, OPTS, 42), "-XX:ArchiveClassesAtExit=");
    Files.write(Path.of(dump), new byte[1000]);
    List<String> next = ClassArchive.options(folder, jar, OPTS, 43);
    assertTrue(value(next, "-XX:ArchiveClassesAtExit=").contains(".43.tmp"), next.toString());
    assertEquals(List.of(), names(folder));
  }

  /** JDK 17 dies of SIGBUS on a truncated archive: one whose size is not its name's is deleted. */
  @Test
  void aTruncatedArchiveIsDeletedAndDumpedAgain() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    String dump = value(ClassArchive.options(folder, jar, OPTS, 42), "-XX:ArchiveClassesAtExit=");
    ClassArchive.markReady(dump);
    Files.write(Path.of(dump), new byte[1000]);
    Files.setLastModifiedTime(Path.of(dump), FileTime.fromMillis(System.currentTimeMillis() + 1000));
    Path archive = Path.of(value(ClassArchive.options(folder, jar, OPTS, 43), "-XX:SharedArchiveFile="));
    Files.write(archive, new byte[999]);
    List<String> next = ClassArchive.options(folder, jar, OPTS, 44);
    assertTrue(value(next, "-XX:ArchiveClassesAtExit=").contains(".44.tmp"), next.toString());
    assertEquals(List.of(), names(folder));
  }

  @Test
  void anotherJarOrOtherOptionsGetAnotherArchive() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    String key = ClassArchive.key(jar, OPTS);
    assertTrue(!key.equals(ClassArchive.key(jar, List.of("-Xmx24m"))));
    Files.writeString(jar, "jar2");
    assertTrue(!key.equals(ClassArchive.key(jar, OPTS)));
  }

  @Test
  void anUnusableFolderMeansNoArchive() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    assertEquals(List.of(), ClassArchive.options(file.resolve("jvm"), jar, OPTS, 42));
  }

  private static String value(List<String> options, String prefix) {
    return options.stream().filter(o -> o.startsWith(prefix)).map(o -> o.substring(prefix.length()))
        .findFirst().orElseThrow(() -> new AssertionError(prefix + " not in " + options));
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
