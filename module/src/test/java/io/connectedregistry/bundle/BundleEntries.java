package io.connectedregistry.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** A bundle file read back whole with Commons Compress: its entries in order, with their bytes. */
record BundleEntries(Map<String, byte[]> entries) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static BundleEntries read(Path file) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(Compression.decompressed(in))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (entries.put(entry.getName(), tar.readAllBytes()) != null) {
          throw new AssertionError("entry " + entry.getName() + " twice");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BundleEntries(entries);
  }

  List<String> names() {
    return List.copyOf(entries.keySet());
  }

  JsonNode json(String name) {
    try {
      return JSON.readTree(entries.get(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  BundleMetadata metadata() {
    return BundleMetadata.parse(entries.get(BundleMetadata.ENTRY));
  }

  boolean hasBlob(io.connectedregistry.oci.Digest digest) {
    return entries.containsKey("blobs/sha256/" + digest.hex());
  }
}
