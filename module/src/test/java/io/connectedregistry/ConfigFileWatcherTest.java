package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file watcher on the layout a Kubernetes ConfigMap mount has: {@code
 * config.yaml -> ..data/config.yaml}, {@code ..data -> ..VERSION}, each version swapped in by
 * renaming a new {@code ..data} symlink over the old one.
 */
class ConfigFileWatcherTest {
  @TempDir Path mount;
  private int version;

  @Test
  void a_symlink_swap_to_new_content_is_a_change_seen_once() throws IOException {
    Path file = mountWith("logLevel: Information\n");
    ConfigFileWatcher watcher = new ConfigFileWatcher(file);
    assertFalse(watcher.changed(), "nothing changed yet");

    swapTo("logLevel: Debug\n");

    assertTrue(watcher.changed());
    assertFalse(watcher.changed(), "the same content again is no change");
  }

  @Test
  void the_same_content_in_a_new_version_or_a_touched_file_is_no_change() throws IOException {
    Path file = mountWith("logLevel: Information\n");
    ConfigFileWatcher watcher = new ConfigFileWatcher(file);

    swapTo("logLevel: Information\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(60)));

    assertFalse(watcher.changed());
  }

  @Test
  void a_file_that_cannot_be_read_keeps_what_was_seen() throws IOException {
    Path file = mountWith("logLevel: Information\n");
    ConfigFileWatcher watcher = new ConfigFileWatcher(file);
    Path data = mount.resolve("..data");
    Path target = mount.resolve(Files.readSymbolicLink(data));
    Files.delete(data);

    assertFalse(watcher.changed(), "a dangling symlink is not a change");

    Files.createSymbolicLink(data, target.getFileName());
    assertFalse(watcher.changed(), "the same content back is not a change");
    swapTo("logLevel: Debug\n");
    assertTrue(watcher.changed());
  }

  @Test
  void a_change_made_before_the_first_poll_is_seen_by_it() throws IOException {
    Path file = mountWith("logLevel: Information\n");
    ConfigFileWatcher watcher = new ConfigFileWatcher(file); // what the build is about to read
    swapTo("logLevel: Debug\n"); // meanwhile

    assertTrue(watcher.changed());
  }

  @Test
  void started_it_reloads_on_a_change_and_a_failing_reload_does_not_end_the_polling()
      throws Exception {
    Path file = mountWith("logLevel: Information\n");
    AtomicInteger reloads = new AtomicInteger();
    CountDownLatch second = new CountDownLatch(2);
    try (ConfigFileWatcher watcher = new ConfigFileWatcher(file)) {
      watcher.start(Duration.ofMillis(20), () -> {
        reloads.incrementAndGet();
        second.countDown();
        throw new IllegalStateException("a reload that fails");
      });
      swapTo("logLevel: Debug\n");
      awaitCount(reloads, 1);
      swapTo("logLevel: Warning\n");

      assertTrue(second.await(10, TimeUnit.SECONDS), "the second change was reloaded too");
      Thread.sleep(100); // a few more polls of the same content
      assertEquals(2, reloads.get());
    }
  }

  @Test
  void zero_means_not_watched() throws Exception {
    Path file = mountWith("logLevel: Information\n");
    AtomicInteger reloads = new AtomicInteger();
    try (ConfigFileWatcher watcher = new ConfigFileWatcher(file)) {
      watcher.start(Duration.ZERO, reloads::incrementAndGet);
      swapTo("logLevel: Debug\n");
      Thread.sleep(100);
      assertEquals(0, reloads.get());
    }
  }

  private static void awaitCount(AtomicInteger count, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (count.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(expected, count.get());
  }

  private Path mountWith(String content) throws IOException {
    swapTo(content);
    Path file = mount.resolve("config.yaml");
    Files.createSymbolicLink(file, Path.of("..data/config.yaml"));
    return file;
  }

  /** The kubelet's atomic writer: a new version folder, a new ..data renamed over the old. */
  private void swapTo(String content) throws IOException {
    Path folder = mount.resolve("..2026_11_30_12_00_00." + (++version));
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("config.yaml"), content);
    Path tmp = mount.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, folder.getFileName());
    Files.move(tmp, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
  }
}
