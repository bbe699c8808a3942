package io.connectedregistry.natives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryCopyTest {
  /** Any entry of a jar on the test class path does: JUnit's own annotation class. */
  private static final Class<?> ANCHOR = Test.class;
  private static final String RESOURCE = "/org/junit/jupiter/api/Test.class";

  @TempDir Path data;

  private static byte[] jarCopy() throws IOException {
    try (InputStream in = ANCHOR.getResourceAsStream(RESOURCE)) {
      return in.readAllBytes();
    }
  }

  @Test
  void theFirstUseWritesTheJarsCopyAndLaterUsesKeepIt() throws IOException {
    Path folder = data.resolve("native").resolve("x-1");
    Path copy = NativeLibraryCopy.ensure(ANCHOR, RESOURCE, folder, "libx.so");
    assertEquals(folder.resolve("libx.so"), copy);
    assertArrayEquals(jarCopy(), Files.readAllBytes(copy));
    FileTime written = FileTime.fromMillis(0);
    Files.setLastModifiedTime(copy, written);

    assertEquals(copy, NativeLibraryCopy.ensure(ANCHOR, RESOURCE, folder, "libx.so"));
    assertEquals(written, Files.getLastModifiedTime(copy), "an equal copy is not written again");
    try (var files = Files.list(folder)) {
      assertEquals(1, files.count(), "no temporary file left beside the copy");
    }
  }

  @Test
  void aDamagedOrTruncatedCopyIsReplaced() throws IOException {
    Path copy = NativeLibraryCopy.ensure(ANCHOR, RESOURCE, data, "libx.so");
    byte[] damaged = Files.readAllBytes(copy);
    damaged[damaged.length / 2] ^= 1;
    Files.write(copy, damaged);
    assertEquals(copy, NativeLibraryCopy.ensure(ANCHOR, RESOURCE, data, "libx.so"));
    assertArrayEquals(jarCopy(), Files.readAllBytes(copy));

    Files.write(copy, Arrays.copyOf(damaged, damaged.length - 1));
    assertEquals(copy, NativeLibraryCopy.ensure(ANCHOR, RESOURCE, data, "libx.so"));
    assertArrayEquals(jarCopy(), Files.readAllBytes(copy));
  }

  @Test
  void aMissingResourceOrAFolderThatCannotBeMadeIsAnError() throws IOException {
    assertThrows(IOException.class, () -> NativeLibraryCopy.ensure(ANCHOR, "/no/such/libx.so", data, "libx.so"));
    Path notAFolder = Files.writeString(data.resolve("file"), "a file where the folder should be");
    assertThrows(IOException.class, () -> NativeLibraryCopy.ensure(ANCHOR, RESOURCE, notAFolder, "libx.so"));
  }

  @Test
  void sameContentTellsEqualFilesFromShorterLongerAndChangedOnes() throws IOException {
    byte[] expected = new byte[40_000];
    new Random(1).nextBytes(expected);
    Path file = Files.write(data.resolve("f"), expected);
    assertTrue(NativeLibraryCopy.sameContent(file, expected));
    assertFalse(NativeLibraryCopy.sameContent(file, Arrays.copyOf(expected, 39_999)));
    assertFalse(NativeLibraryCopy.sameContent(file, Arrays.copyOf(expected, 40_001)));
    expected[39_999] ^= 1;
    assertFalse(NativeLibraryCopy.sameContent(file, expected));
    assertFalse(NativeLibraryCopy.sameContent(data.resolve("missing"), expected));
  }

  /** The copy is checked against the size and CRC-32 the jar's directory records, not by inflating the jar's. */
  @Test
  void theJarsRecordedChecksumIsTheEntrysAndTellsChangedCopiesApart() throws IOException {
    byte[] library = jarCopy();
    CRC32 crc = new CRC32();
    crc.update(library);
    NativeLibraryCopy.Checksum packed = NativeLibraryCopy.packedChecksum(ANCHOR, RESOURCE).orElseThrow(
        () -> new AssertionError("JUnit's jar is on the test class path: its directory has the entry's CRC"));
    assertEquals(new NativeLibraryCopy.Checksum(library.length, crc.getValue()), packed);

    Path file = Files.write(data.resolve("copy"), library);
    assertTrue(packed.matches(file));
    library[library.length / 3] ^= 0x40;
    Files.write(file, library);
    assertFalse(packed.matches(file), "one bit changed, same size");
    Files.write(file, Arrays.copyOf(library, library.length - 1));
    assertFalse(packed.matches(file), "one byte short");
    assertFalse(packed.matches(data.resolve("missing")));
  }
}
