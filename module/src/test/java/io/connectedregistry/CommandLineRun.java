package io.connectedregistry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One run of the command line as {@link Main#main} builds it ({@link Main#commandLineFor}) in this JVM, with what it wrote to
 * stdout and stderr (and, where given, what it read from stdin). Tests of the commands share it.
 */
public record CommandLineRun(int exit, byte[] bytes, String err) {
  /** Stdout as text. */
  public String out() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public static CommandLineRun of(String... args) {
    return withInput(new byte[0], args);
  }

  /** Runs with {@code stdin} as the standard input (a password for --password-stdin, say). */
  public static synchronized CommandLineRun withInput(byte[] stdin, String... args) {
    InputStream oldIn = System.in;
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setIn(new ByteArrayInputStream(stdin));
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = Main.commandLineFor(args).execute(args);
      return new CommandLineRun(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setIn(oldIn);
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
