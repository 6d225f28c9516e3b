/** The greeter example: a function with state, written with the kstatefun SDK. */
package io.kstatefun.examples.greeter;
