package io.connectedregistry.cli;

import io.connectedregistry.bundle.TransferListener;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * The progress of a long bundle export or import on stderr (bytes, images, rate), drawn by the
 * progressbar library. Shown on a terminal, silent in scripts; {@code --progress} and
 * {@code --no-progress} decide instead when given.
 */
final class TransferProgress implements TransferListener {
  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;

  private final String task;
  private ProgressBar bar;
  private long images = -1;
  private long imagesDone;

  private TransferProgress(String task) {
    this.task = task;
  }

  /**
   * @param option the command's {@code --progress} (true) / {@code --no-progress} (false), or null
   *     when neither was given: then shown only when the command runs on a terminal
   * @param task what the bar is labelled with ("Export", "Import")
   */
  static TransferListener of(Boolean option, String task) {
    return shown(option) ? new TransferProgress(task) : TransferListener.NONE;
  }

  /** {@code System.console()} is null unless both stdin and stdout are a terminal: scripts and pipes. */
  static boolean shown(Boolean option) {
    return option != null ? option : System.console() != null;
  }

  @Override
  public void started(long totalBytes, long images) {
    this.images = images;
    bar = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(totalBytes) // -1: unknown, drawn as an indefinite bar
        // Whole units: a small bundle in MiB would read 0/0.
        .setUnit(totalBytes >= 0 && totalBytes < 16 * MIB ? "KiB" : "MiB", totalBytes >= 0 && totalBytes < 16 * MIB ? KIB : MIB)
        .showSpeed()
        .setSpeedUnit(ChronoUnit.SECONDS)
        .setUpdateIntervalMillis((int) Duration.ofMillis(500).toMillis())
        .setConsumer(new ConsoleProgressBarConsumer(System.err)) // stdout may carry the bundle itself
        .build();
    bar.setExtraMessage(imagesMessage());
  }

  @Override
  public void transferred(long bytes) {
    if (bar != null) {
      bar.stepBy(bytes);
    }
  }

  @Override
  public void imageDone() {
    imagesDone++;
    if (bar != null) {
      bar.setExtraMessage(imagesMessage());
    }
  }

  @Override
  public void finished() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  private String imagesMessage() {
    // The library writes the message right after the rate: the space keeps them apart.
    return images >= 0 ? " " + imagesDone + "/" + images + " images" : " " + imagesDone + " images";
  }
}
