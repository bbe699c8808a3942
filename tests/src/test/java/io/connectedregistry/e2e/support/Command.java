package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external program (skopeo, podman, make-image.sh, the gc subcommand) and captures its output. */
public final class Command {

  /** What a finished command printed, and how it ended. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {

    public boolean ok() {
      return exitCode == 0;
    }

    /** Fails the test with the whole output unless the command exited 0. */
    public Result assertOk() {
      if (exitCode != 0) {
        throw new AssertionError(describe());
      }
      return this;
    }

    public String describe() {
      return "command " + String.join(" ", command) + " exited " + exitCode
          + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  private Command() {}

  public static Result run(List<String> command) {
    return run(command, Map.of(), 180);
  }

  /**
   * Runs {@code command} with extra environment variables; stdout and stderr go to temporary
   * files (never a pipe that could fill up and block the child). Kills the child after
   * {@code timeoutSeconds} and fails the test.
   */
  public static Result run(List<String> command, Map<String, String> env, int timeoutSeconds) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("e2e-cmd-", ".out");
      err = Files.createTempFile("e2e-cmd-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("timed out after " + timeoutSeconds + " s: " + String.join(" ", command)
            + "\n--- stdout ---\n" + Files.readString(out) + "\n--- stderr ---\n" + Files.readString(err));
      }
      return new Result(new ArrayList<>(command), p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("could not run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + String.join(" ", command), e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** True when {@code program} can be started at all (it is on the PATH and runs). */
  public static boolean available(String... versionCommand) {
    try {
      Process p = new ProcessBuilder(versionCommand).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }
}
