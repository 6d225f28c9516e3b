/**
 * Value types: the StateFun built-ins, custom serializer pairs, JSON and protobuf; see {@link
 * io.kstatefun.sdk.types.Types}.
 */
package io.kstatefun.sdk.types;
