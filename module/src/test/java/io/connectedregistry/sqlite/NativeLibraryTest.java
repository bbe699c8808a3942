package io.connectedregistry.sqlite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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

  @Test
  void aFolderThatCannotBeMadeLeavesTheDriverToItsOwnExtraction() throws IOException {
    String resource = resource();
    Path notAFolder = Files.writeString(data.resolve("file"), "a file where the data folder should be");
    assertEquals(Optional.empty(), NativeLibrary.cachedCopy(notAFolder, resource));
  }
}
