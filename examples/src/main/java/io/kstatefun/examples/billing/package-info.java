/**
 * The billing example: subscriptions that schedule their own payment reminders with cancellable
 * delayed messages.
 */
package io.kstatefun.examples.billing;
