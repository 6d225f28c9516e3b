package io.kstatefun.sdk.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.sdk.FunctionInvocationException;
import io.kstatefun.sdk.MalformedRequestException;
import io.kstatefun.sdk.RequestReplyHandler;
import io.kstatefun.sdk.UnknownFunctionTypeException;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.statefun.sdk.java.slice.Slice;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every conformance case (request bytes in, expected response out) against the conformance
 * functions written with this SDK and with the official StateFun Java SDK 3.3.0.
 *
 * <p>This SDK must produce exactly the expected bytes. The official SDK keeps declared states in a
 * hash map, so the order of its state mutations and missing-value specs is arbitrary; the protocol
 * does not define that order, so it is compared after sorting those two lists by state name.
 * Nothing else is normalized.
 */
@Timeout(30)
class ProtocolConformanceTest {
  private static final RequestReplyHandler OURS =
      OurConformanceFunctions.registry().requestReplyHandler();
  private static final org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler OFFICIAL =
      OfficialConformanceFunctions.handler();

  static Stream<ConformanceCase> cases() {
    return ConformanceCase.all();
  }

  @Test
  void shouldFindTheConformanceCases() {
    assertThat(cases().count()).isGreaterThanOrEqualTo(20);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void ourSdkShouldAnswerAsSpecified(ConformanceCase c) throws Exception {
    CompletableFuture<byte[]> response = OURS.handle(c.request());
    if (c.expectsError()) {
      Throwable error = failureOf(response, c);
      assertThat(error).isInstanceOf(errorClass(c.expectedErrorKind()));
      for (String mention : c.expectedErrorMentions()) {
        assertThat(error.getMessage()).contains(mention);
      }
      return;
    }
    byte[] actual = response.get(10, TimeUnit.SECONDS);
    assertThat(json(FromFunction.parseFrom(actual)))
        .as(c.description())
        .isEqualTo(json(c.expected()));
    assertThat(actual).as("exact bytes").isEqualTo(c.expected().toByteArray());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void officialSdkShouldAnswerAsSpecified(ConformanceCase c) throws Exception {
    CompletableFuture<Slice> response = OFFICIAL.handle(Slices.wrap(c.request()));
    if (c.expectsError()) {
      failureOf(response, c);
      return;
    }
    FromFunction actual = FromFunction.parseFrom(response.get(10, TimeUnit.SECONDS).toByteArray());
    assertThat(json(normalized(actual)))
        .as(c.description())
        .isEqualTo(json(normalized(c.expected())));
  }

  private static Throwable failureOf(CompletableFuture<?> response, ConformanceCase c)
      throws Exception {
    try {
      Object value = response.get(10, TimeUnit.SECONDS);
      return fail(
          "Expected %s to fail with %s, but it answered %s", c, c.expectedErrorKind(), value);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  private static Class<? extends Throwable> errorClass(String kind) {
    switch (kind) {
      case "MALFORMED_REQUEST":
        return MalformedRequestException.class;
      case "UNKNOWN_FUNCTION_TYPE":
        return UnknownFunctionTypeException.class;
      case "FUNCTION_FAILED":
        return FunctionInvocationException.class;
      default:
        throw new IllegalArgumentException("Unknown error kind " + kind);
    }
  }

  /** Sorts the two lists whose order StateFun leaves to the SDK. */
  private static FromFunction normalized(FromFunction response) {
    FromFunction.Builder builder = response.toBuilder();
    if (builder.hasInvocationResult()) {
      FromFunction.InvocationResponse.Builder result = builder.getInvocationResultBuilder();
      List<FromFunction.PersistedValueMutation> mutations =
          result.getStateMutationsList().stream()
              .sorted(Comparator.comparing(FromFunction.PersistedValueMutation::getStateName))
              .toList();
      result.clearStateMutations().addAllStateMutations(mutations);
    }
    if (builder.hasIncompleteInvocationContext()) {
      FromFunction.IncompleteInvocationContext.Builder incomplete =
          builder.getIncompleteInvocationContextBuilder();
      List<FromFunction.PersistedValueSpec> specs =
          incomplete.getMissingValuesList().stream()
              .sorted(Comparator.comparing(FromFunction.PersistedValueSpec::getStateName))
              .toList();
      incomplete.clearMissingValues().addAllMissingValues(specs);
    }
    return builder.build();
  }

  private static String json(FromFunction response) throws InvalidProtocolBufferException {
    return JsonFormat.printer().print(response);
  }
}
