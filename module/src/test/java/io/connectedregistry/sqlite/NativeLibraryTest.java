package io.connectedregistry.sqlite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {

  @TempDir Path data;

  private static String resource() {
    Optional<String> resource = NativeLibrary.resourcePath();
    assumeTrue(resource.isPresent(), "the cache applies to glibc Linux on x86_64 and aarch64 only");
    return resource.get();
  }

  private static byte[] jarCopy(String resource) throws IOException {
    try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
      return in.readAllBytes();
    }
  }

  @Test
  void theFirstUseWritesTheJarsLibraryIntoTheDataFolderAndLaterUsesReuseIt() throws IOException {
    String resource = resource();
    Path copy = NativeLibrary.cachedCopy(data, resource).orElseThrow();
    assertTrue(copy.startsWith(data.resolve("native")), copy.toString());
    assertArrayEquals(jarCopy(resource), Files.readAllBytes(copy));
    FileTime written = FileTime.fromMillis(0);
    Files.setLastModifiedTime(copy, written);

    assertEquals(Optional.of(copy), NativeLibrary.cachedCopy(data, resource));
    assertEquals(written, Files.getLastModifiedTime(copy), "an equal copy is not written again");
    try (var files = Files.list(copy.getParent())) {
      assertEquals(1, files.count(), "no temporary file left beside the copy");
    }
  }

  @Test
  void aCopyThatDiffersFromTheJarsIsReplaced() throws IOException {
    String resource = resource();
    Path copy = NativeLibrary.cachedCopy(data, resource).orElseThrow();
    byte[] damaged = Files.readAllBytes(copy);
    damaged[damaged.length / 2] ^= 1;
    Files.write(copy, damaged);

    assertEquals(Optional.of(copy), NativeLibrary.cachedCopy(data, resource));
    assertArrayEquals(jarCopy(resource), Files.readAllBytes(copy));
  }

  /**
   * The library is 1 MiB: read or written in one call, the JDK would keep a temporary direct
   * buffer that size for the calling thread (the main thread, for the registry's whole life).
   */
  @Test
  void writingAndComparingTheCopyLeavesNoLargeDirectBufferBehind() throws Exception {
    String resource = resource();
    BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
    long[] grown = {-1};
    Throwable[] failure = {null};
    // A thread of its own: its cached buffers are counted until it ends, none from other tests.
    Thread thread = new Thread(() -> {
      try {
        long before = direct.getMemoryUsed();
        NativeLibrary.cachedCopy(data, resource).orElseThrow(); // written
        NativeLibrary.cachedCopy(data, resource).orElseThrow(); // compared
        grown[0] = direct.getMemoryUsed() - before;
      } catch (Throwable e) {
        failure[0] = e;
      }
    });
    thread.start();
    thread.join();
    assertEquals(null, failure[0]);
    assertTrue(jarCopy(resource).length > 512 * 1024, "the library is large enough to tell");
    assertTrue(grown[0] < 128 * 1024, "direct memory kept by the thread: " + grown[0] + " bytes");
  }

  @Test
  void aFolderThatCannotBeMadeLeavesTheDriverToItsOwnExtraction() throws IOException {
    String resource = resource();
    Path notAFolder = Files.writeString(data.resolve("file"), "a file where the data folder should be");
    assertEquals(Optional.empty(), NativeLibrary.cachedCopy(notAFolder, resource));
  }
}
