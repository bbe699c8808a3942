package io.connectedregistry.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadStatus;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage figures reach the board from a worker, on start and whenever asked (after GC). */
class StorageFiguresTest {
  @TempDir Path data;
  Vertx vertx;
  LocalRegistryStorage storage;
  StorageFigures figures;
  final StatusBoard board = new StatusBoard(RegistryStatus.starting(Mode.ReadWrite, "test", false), Runnable::run);

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
    figures = new StorageFigures(vertx, storage, vertx.createSharedWorkerExecutor("status-test", 1), board);
  }

  @AfterEach
  void tearDown() throws Exception {
    figures.stop();
    vertx.close().await(10, TimeUnit.SECONDS);
    storage.close();
  }

  @Test
  void figuresAreMeasuredAtStartAndAgainWhenAsked() throws Exception {
    assertEquals(RegistryStatus.Storage.UNKNOWN, board.current().storage());

    figures.start().await(10, TimeUnit.SECONDS);
    RegistryStatus.Storage empty = board.current().storage();
    assertEquals(0, empty.bytesUsed());
    assertEquals(0, empty.blobs());
    assertTrue(empty.freeBytes() > 0, empty.toString());

    byte[] content = "a blob".getBytes(StandardCharsets.UTF_8);
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(ByteBuffer.wrap(content));
      storage.commitUpload(h, Digest.sha256(content));
    }
    figures.refresh().await(10, TimeUnit.SECONDS);

    RegistryStatus.Storage after = board.current().storage();
    assertEquals(content.length, after.bytesUsed());
    assertEquals(1, after.blobs());
    assertEquals(0, after.repositories(), "no manifest yet");
  }
}
