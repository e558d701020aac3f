// Desktop notifications (issue 6): the notifier and the words of each event.
export {
  dueSoonMessage,
  failedMessage,
  needsYouMessage,
  rotatedMessage,
  settingsInvalidMessage,
} from './messages.js';
export {
  createNotifier,
  type Notification,
  type Notifier,
  type NotifierOptions,
  type SendNotification,
  sendWithNodeNotifier,
  silentNotifier,
  type Urgency,
} from './notifier.js';
