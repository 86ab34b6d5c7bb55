// Every gpaco command, in `gpaco help` order: one import per command (each file registers itself).
import './train';
import './resume';
import './eval';
import './ls';
import './tag';
import './note';
import './show';
import './report';
import './verifyLoss';
import './sweep';
import './jobs';
import './cancel';
import './import';
import './export';
