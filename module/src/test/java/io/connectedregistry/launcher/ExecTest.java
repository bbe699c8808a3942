package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JNA's library from the data folder's copy (issue #13: no unpacking at every start), in JVMs of their own. */
class ExecTest {
  private static String resource;

  @TempDir Path data;

  @BeforeAll
  static void linuxWithACopyToMake() {
    String arch = System.getProperty("os.arch");
    assumeTrue(System.getProperty("os.name").equals("Linux") && List.of("amd64", "aarch64").contains(arch),
        "the copy is made on Linux x86_64 and aarch64 only");
    resource = "/com/sun/jna/" + (arch.equals("amd64") ? "linux-x86-64" : "linux-aarch64") + "/libjnidispatch.so";
  }

  private Path copy() {
    return data.resolve("native").resolve("jna-" + Native.VERSION).resolve("libjnidispatch.so");
  }

  private static byte[] jarCopy() throws IOException {
    try (InputStream in = Library.class.getResourceAsStream(resource)) {
      return in.readAllBytes();
    }
  }

  /** What the probe printed: where JNA's library was loaded from, and fcntl's answer for stdin. */
  private static String probe(Path dataFolder) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        DispatchProbe.class.getName(), dataFolder.toString()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return out;
  }

  @Test
  void theFirstStartCopiesJnasLibraryIntoTheDataFolderAndEveryStartLoadsThatCopy() throws Exception {
    String first = probe(data);
    assertTrue(first.startsWith(copy() + " "), first);
    assertArrayEquals(jarCopy(), Files.readAllBytes(copy()));
    assertEquals(first, probe(data), "the second start loads the same copy");
  }

  @Test
  void aDamagedCopyIsReplacedBeforeItIsLoaded() throws Exception {
    probe(data);
    byte[] damaged = Files.readAllBytes(copy());
    damaged[damaged.length / 2] ^= 1;
    Files.write(copy(), damaged);

    String after = probe(data);
    assertTrue(after.startsWith(copy() + " "), after);
    assertArrayEquals(jarCopy(), Files.readAllBytes(copy()));
  }

  @Test
  void whenNoCopyCanBeMadeJnaUnpacksItsLibraryAsBefore() throws Exception {
    Path notAFolder = Files.writeString(data.resolve("file"), "a file where the data folder should be");
    String out = probe(notAFolder);
    assertFalse(out.startsWith(notAFolder.toString()), out);
    assertTrue(out.matches("/.+ [0-9]+"), "JNA still loads (from a file of its own) and the C library answers: " + out);
  }
}
